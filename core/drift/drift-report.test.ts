import { describe, expect, it } from 'vitest';
import { describeObject } from '../sync/object-id';
import { type DriftFinding, driftFingerprint } from './drift-report';

const web = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
const scaled = (time: string, live = 5): DriftFinding => ({
  kind: 'modified',
  object: web,
  fields: [
    {
      path: 'spec.replicas',
      pointer: '/spec/replicas',
      desired: 2,
      live,
      writer: { manager: 'kubectl-scale', operation: 'Update', time },
    },
  ],
});

describe('driftFingerprint', () => {
  it('is null when nothing drifted', () => {
    expect(driftFingerprint([])).toBeNull();
  });

  it('stays the same across scans of the same drift, whatever the order and the write or lag times', () => {
    const missing: DriftFinding = { kind: 'missing', object: { ...web, name: 'api' } };
    const lag = (lagMinutes: number): DriftFinding => ({
      kind: 'sync-lagging',
      sync: { namespace: 'tidemark-system', name: 'dev' },
      lastAppliedRevision: 'a',
      headRevision: 'b',
      lagMinutes,
    });
    expect(driftFingerprint([scaled('2026-11-25T10:42:00Z'), missing, lag(11)])).toBe(
      driftFingerprint([missing, lag(95), scaled('2026-11-25T11:00:00Z')]),
    );
  });

  it('changes when a value, an object or the kind of finding changes', () => {
    const base = driftFingerprint([scaled('t')]);
    expect(driftFingerprint([scaled('t', 6)])).not.toBe(base);
    expect(driftFingerprint([{ kind: 'missing', object: web }])).not.toBe(base);
    expect(driftFingerprint([{ kind: 'orphan', object: web }])).not.toBe(
      driftFingerprint([{ kind: 'missing', object: web }]),
    );
  });
});

describe('describeObject', () => {
  it('leaves the namespace out of cluster-scoped objects', () => {
    expect(describeObject(web)).toBe('Deployment/shop/web');
    expect(describeObject({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' })).toBe('Namespace/shop');
  });
});
