import type { ChangeSet } from '../../core/sync/change-set';
import { apiVersionOf, type Inventory, staleEntries } from '../../core/sync/inventory';
import { type ObjectId, objectKey, parseObjectKey } from '../../core/sync/object-id';
import type { SyncRef } from '../../core/sync/ownership';
import { planPrune, type StaleObject } from '../../core/sync/prune';
import { stageOf, stages } from '../../core/sync/stage-order';
import type { ClusterPort } from '../cluster-port';
import { defaultConcurrency, inParallel } from '../concurrency';
import { isUnknownKind } from '../live-state';

export interface PruneRequest {
  sync: SyncRef;
  /** What the last successful reconcile applied: nothing else is ever deleted. */
  previous: Inventory;
  /** What this reconcile applied. */
  current: Inventory;
  /** Objects in this render (an empty render deletes nothing). */
  renderedCount: number;
  /** 0–1: the largest share of the previous inventory one reconcile may delete. */
  maxPruneShare: number;
  /** Ask the API server nothing destructive: report what would be deleted. */
  dryRun: boolean;
}

/** How a prune ended: refused before deleting anything, or done, with the deletions that failed (kept for next time). */
export type PruneResult =
  | { kind: 'refused'; reason: string }
  | { kind: 'pruned'; inventory: Inventory; failures: { key: string; message: string }[] };

/**
 * Deletes what left Git: the stale inventory entries read from the cluster, the plan decided by `planPrune` (labels,
 * protected kinds, the share limit), then the deletions stage by stage in reverse apply order (webhooks first, CRDs and
 * Namespaces last), in parallel within a stage. Each deletion and each skip is added to `changeSet`. An entry that
 * could not be deleted stays in the returned inventory, so the next reconcile tries it again.
 */
export async function pruneStale(
  cluster: ClusterPort,
  request: PruneRequest,
  changeSet: ChangeSet,
): Promise<PruneResult> {
  const stale = await staleObjects(cluster, staleEntries(request.previous, request.current));
  const plan = planPrune({
    sync: request.sync,
    previousCount: request.previous.entries.length,
    renderedCount: request.renderedCount,
    stale,
    maxPruneShare: request.maxPruneShare,
  });
  if (plan.kind === 'refused') return { kind: 'refused', reason: plan.reason };
  for (const skipped of plan.skip) changeSet.add(skipped.id, 'skipped', skipped.reason);
  const versions = new Map(stale.map(({ entry }) => [entry.id, apiVersionOf(entry, parseObjectKey(entry.id).group)]));
  const failures = await deleteInOrder(cluster, plan.delete, versions, changeSet, request.dryRun);
  const left = new Set(failures.map((f) => f.key));
  const inventory =
    failures.length === 0
      ? request.current
      : { entries: [...request.current.entries, ...request.previous.entries.filter((e) => left.has(e.id))] };
  return { kind: 'pruned', inventory, failures };
}

async function staleObjects(cluster: ClusterPort, entries: Inventory['entries']): Promise<StaleObject[]> {
  const stale: StaleObject[] = [];
  await inParallel(entries, defaultConcurrency.staleReads, async (entry) => {
    const id = parseObjectKey(entry.id);
    try {
      const live = await cluster.get({
        apiVersion: apiVersionOf(entry, id.group),
        kind: id.kind,
        namespace: id.namespace,
        name: id.name,
      });
      stale.push({ entry, live });
    } catch (error) {
      // A kind that is no longer served (its CRD was deleted) has no objects left to prune.
      if (isUnknownKind(error)) stale.push({ entry, live: undefined });
      else throw error;
    }
  });
  return stale;
}

/** Deletes stage by stage in reverse apply order, in parallel within a stage. Returns what failed. */
async function deleteInOrder(
  cluster: ClusterPort,
  ids: ObjectId[],
  versions: ReadonlyMap<string, string>,
  changeSet: ChangeSet,
  dryRun: boolean,
): Promise<{ key: string; message: string }[]> {
  const failures: { key: string; message: string }[] = [];
  for (const stage of [...stages].reverse()) {
    const inStage = ids.filter((id) => stageOf(id) === stage);
    await inParallel(inStage, defaultConcurrency.deletes, async (id) => {
      try {
        if (!dryRun) {
          const apiVersion = versions.get(objectKey(id)) ?? 'v1';
          await cluster.delete({ apiVersion, kind: id.kind, namespace: id.namespace || undefined, name: id.name });
        }
        changeSet.add(id, 'deleted');
      } catch (error) {
        failures.push({ key: objectKey(id), message: error instanceof Error ? error.message : String(error) });
      }
    });
  }
  return failures;
}
