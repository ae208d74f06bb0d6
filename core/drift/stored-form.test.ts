import { describe, expect, it } from 'vitest';
import { asStored } from './stored-form';

const deployment = (cpu: string | number, memory: string, image = 'web:1') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    template: {
      spec: { containers: [{ name: 'web', image, resources: { requests: { cpu, memory }, limits: { cpu: '2' } } }] },
    },
  },
});

describe('asStored', () => {
  it('takes the live spelling of a quantity with the same value', () => {
    expect(asStored(deployment('1000m', '0.5Gi'), deployment('1', '512Mi')).desired).toEqual(deployment('1', '512Mi'));
    expect(asStored(deployment(1, '512Mi'), deployment('1', '512Mi')).desired).toEqual(deployment('1', '512Mi'));
  });

  it('keeps a different value, and anything that is not a quantity, as Git has it', () => {
    expect(asStored(deployment('1500m', '1Gi'), deployment('1', '512Mi')).desired).toEqual(deployment('1500m', '1Gi'));
    expect(asStored(deployment('1', '1Gi', 'web:1000m'), deployment('1', '1Gi', 'web:1')).desired).toEqual(
      deployment('1', '1Gi', 'web:1000m'),
    );
  });

  it("mirrors a Secret's stringData into the live object only where data holds exactly its encoding", () => {
    const desired = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { a: 'p4ss', b: 'new' } };
    const live = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { a: 'cDRzcw==', b: 'b2xk' } };
    expect(asStored(desired, live).live).toEqual({ ...live, stringData: { a: 'p4ss' } });
  });
});
