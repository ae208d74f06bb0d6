import { describe, expect, it } from 'vitest';
import { diffObjects } from './diff-objects';
import { displayPath } from './field-path';

const pod = (containers: unknown[]) => ({ apiVersion: 'v1', kind: 'Pod', spec: { containers } });
const paths = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  diffObjects(a, b).map((d) => displayPath(d.path));

describe('diffObjects', () => {
  it('matches keyed list elements by key, so order alone is no difference', () => {
    const a = pod([
      {
        name: 'web',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
    ]);
    const b = pod([
      {
        name: 'web',
        env: [
          { name: 'B', value: '2' },
          { name: 'A', value: '1' },
        ],
      },
    ]);
    expect(diffObjects(a, b)).toEqual([]);
  });

  it('reports an element only one side has as that whole element', () => {
    const diff = diffObjects(pod([{ name: 'web' }]), pod([{ name: 'web' }, { name: 'sidecar', image: 'x' }]));
    expect(diff).toMatchObject([{ desired: undefined, live: { name: 'sidecar', image: 'x' } }]);
    expect(displayPath(diff[0]!.path)).toBe('spec.containers[name=sidecar]');
  });

  it('compares unkeyed lists by position, and whole when their lengths differ', () => {
    expect(paths(pod([{ name: 'w', args: ['a', 'b'] }]), pod([{ name: 'w', args: ['a', 'c'] }]))).toEqual([
      'spec.containers[name=w].args[1]',
    ]);
    expect(paths(pod([{ name: 'w', args: ['a'] }]), pod([{ name: 'w', args: ['a', 'b'] }]))).toEqual([
      'spec.containers[name=w].args',
    ]);
  });

  it('quotes keys that are not identifiers', () => {
    const a = { kind: 'ConfigMap', metadata: { labels: { 'app.kubernetes.io/name': 'a' } } };
    const b = { kind: 'ConfigMap', metadata: { labels: { 'app.kubernetes.io/name': 'b' } } };
    expect(paths(a, b)).toEqual(['metadata.labels["app.kubernetes.io/name"]']);
  });
});
