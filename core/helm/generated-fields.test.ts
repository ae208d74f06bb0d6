import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../sync/kube-object';
import { generatedFieldsAnnotation, generatedFieldsOf, keepGeneratedFields, rotatingFields } from './generated-fields';

const secret = (password: string, name = 'redis'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'cache' },
  data: { 'redis-password': password, other: 'c3RhYmxl' },
});
const statefulSet = (checksum: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'redis-master', namespace: 'cache' },
  spec: {
    template: { metadata: { annotations: { 'checksum/secret': checksum } }, spec: { containers: [{ name: 'redis' }] } },
  },
});

describe('rotatingFields', () => {
  it('names the leaves that differ between two renders, including checksums computed from them', () => {
    const rotating = rotatingFields([secret('Zmlyc3Q='), statefulSet('aaa')], [secret('c2Vjb25k'), statefulSet('bbb')]);
    expect(Object.fromEntries(rotating)).toEqual({
      cache_redis__Secret: ['/data/redis-password'],
      'cache_redis-master_apps_StatefulSet': ['/spec/template/metadata/annotations/checksum~1secret'],
    });
  });

  it('is empty for a deterministic chart', () => {
    expect(rotatingFields([secret('eA==')], [secret('eA==')]).size).toBe(0);
  });

  it('refuses an object whose name changes on every render', () => {
    expect(() => rotatingFields([secret('eA==', 'test-x7k2p')], [secret('eA==', 'test-q9v4m')])).toThrow(
      'Secret/cache/test-x7k2p gets a different name on every render',
    );
  });
});

describe('keepGeneratedFields', () => {
  const paths = ['/data/redis-password'];

  it('creates the object once with the rendered value, marking the generated fields for the drift scanner', () => {
    const created = keepGeneratedFields(secret('Zmlyc3Q='), undefined, paths);
    expect(created.data).toEqual({ 'redis-password': 'Zmlyc3Q=', other: 'c3RhYmxl' });
    expect(created.metadata.annotations?.[generatedFieldsAnnotation]).toBe('["/data/redis-password"]');
    expect(generatedFieldsOf(created)).toEqual(paths);
  });

  it('afterwards keeps what the cluster holds in those fields, and only those', () => {
    const live = { ...secret('Zmlyc3Q='), data: { 'redis-password': 'Zmlyc3Q=', other: 'b2xk' } };
    const next = keepGeneratedFields(secret('dGhpcmQ='), live, paths);
    expect(next.data).toEqual({ 'redis-password': 'Zmlyc3Q=', other: 'c3RhYmxl' });
  });

  it('leaves an object without generated fields untouched', () => {
    const object = secret('eA==');
    expect(keepGeneratedFields(object, undefined, [])).toBe(object);
    expect(generatedFieldsOf(object)).toEqual([]);
  });
});
