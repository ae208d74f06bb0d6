import { describe, expect, it } from 'vitest';
import type { KubeObject } from './kube-object';
import { managedByLabel, pruneAnnotation, syncLabel } from './ownership';
import { planPrune, type StaleObject } from './prune';

const sync = { namespace: 'tidemark-system', name: 'apps' };
const ours = { [managedByLabel]: 'tidemark', [syncLabel]: 'tidemark-system.apps' };

const stale = (
  id: string,
  labels: Record<string, string> | undefined,
  annotations?: Record<string, string>,
): StaleObject => {
  const [namespace, name, , kind] = id.split('_') as [string, string, string, string];
  const live: KubeObject = { apiVersion: 'v1', kind, metadata: { name, namespace, labels, annotations } };
  return { entry: { id, v: 'v1' }, live };
};

const plan = (objects: StaleObject[], previousCount = 10, renderedCount = 9, maxPruneShare = 1) =>
  planPrune({ sync, previousCount, renderedCount, stale: objects, maxPruneShare });

describe('planPrune', () => {
  it('deletes stale objects that still carry our labels, custom resources before CRDs and Namespaces', () => {
    const result = plan([
      stale('_shop__Namespace', ours, { [pruneAnnotation]: 'allow' }),
      stale('shop_a__ConfigMap', ours),
    ]);
    expect(result).toEqual({
      kind: 'planned',
      delete: [
        { namespace: 'shop', name: 'a', group: '', kind: 'ConfigMap' },
        { namespace: '', name: 'shop', group: '', kind: 'Namespace' },
      ],
      skip: [],
    });
  });

  it('skips an object someone relabelled, and one already gone', () => {
    const result = plan([
      stale('shop_a__ConfigMap', { [managedByLabel]: 'helm' }),
      { entry: { id: 'shop_b__ConfigMap', v: 'v1' }, live: undefined },
    ]);
    expect(result).toMatchObject({
      kind: 'planned',
      delete: [],
      skip: [{ reason: "no longer carries this Sync's labels" }],
    });
  });

  it('keeps Namespaces, PVCs, PVs and CRDs without the prune annotation', () => {
    const result = plan([stale('shop_data__PersistentVolumeClaim', ours), stale('_shop__Namespace', ours)]);
    expect(result.kind === 'planned' && result.delete).toEqual([]);
    expect(result.kind === 'planned' && result.skip.map((s) => s.reason)).toEqual([
      'a PersistentVolumeClaim is pruned only with the annotation tidemark.dev/prune: allow',
      'a Namespace is pruned only with the annotation tidemark.dev/prune: allow',
    ]);
  });

  it('refuses everything when the render is empty', () => {
    expect(plan([stale('shop_a__ConfigMap', ours)], 1, 0)).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/^the render is empty/),
    });
  });

  it('refuses everything when the share to delete exceeds the limit', () => {
    const result = plan([stale('shop_a__ConfigMap', ours), stale('shop_b__ConfigMap', ours)], 5, 3, 0.2);
    expect(result).toEqual({
      kind: 'refused',
      reason:
        'prune would delete 2 of 5 objects (40%), more than maxPrunePercent 20%; raise spec.maxPrunePercent if this is intended',
    });
  });

  it('allows one deletion whatever the share, so a Sync of 3 or 4 objects can prune', () => {
    expect(plan([stale('shop_a__ConfigMap', ours)], 3, 2, 0.2)).toMatchObject({ kind: 'planned' });
    expect(plan([stale('shop_a__ConfigMap', ours), stale('shop_b__ConfigMap', ours)], 4, 2, 0.2)).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('prune would delete 2 of 4 objects (50%)'),
    });
  });

  it('allows nothing when maxPrunePercent is 0', () => {
    expect(plan([stale('shop_a__ConfigMap', ours)], 3, 2, 0)).toMatchObject({ kind: 'refused' });
  });
});
