import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { renderFolder } from '../../adapters/render/render-folder';
import type { ChangeSet } from '../../core/sync/change-set';
import type { Health } from '../../core/sync/health';
import { apiVersionOf, type Inventory, inventoryOf, staleEntries } from '../../core/sync/inventory';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, type ObjectId, objectIdOf, objectKey, parseObjectKey } from '../../core/sync/object-id';
import { type SyncRef, selectorFor, withOwnership } from '../../core/sync/ownership';
import { planPrune, type StaleObject } from '../../core/sync/prune';
import { RenderError } from '../../core/sync/render';
import { stageOf, stages } from '../../core/sync/stage-order';
import type { HealthSummary, SyncOutcome } from '../../core/sync/sync-outcome';
import { inParallel } from '../concurrency';
import { applyStaged } from './apply-staged';

export interface SyncFolderRequest {
  /** The Sync this reconcile acts for: its labels go on every object, and prune only touches objects carrying them. */
  sync: SyncRef;
  /** A folder of manifests (a checkout of the repository at `revision`, joined with the Sync's path). */
  dir: string;
  /** The commit the folder holds, for status and messages. */
  revision: string;
  /** What the last successful reconcile applied; prune considers nothing else. */
  previous?: Inventory;
  /** Delete objects that left Git. */
  prune: boolean;
  /** 0–1: the largest share of the previous inventory one reconcile may delete. */
  maxPruneShare: number;
  /** Ask the API server what would happen, change nothing. */
  dryRun?: boolean;
  /** Requests in flight at once. */
  concurrency?: number;
}

/** A reconcile's outcome, plus the desired objects as applied (the agent's self-heal compares against them). */
export interface SyncFolderResult {
  outcome: SyncOutcome;
  desired: KubeObject[];
}

/**
 * One reconcile of a folder, the agent's and `tidemark apply DIR`'s shared engine: render → staged server-side apply
 * → prune → health. Each failure is an outcome, never a half-done step: a render error applies and deletes nothing; an
 * apply error deletes nothing; a prune that looks wrong (empty render, too large a share) deletes nothing.
 *
 * @example
 * const { outcome } = await syncFolder(cluster, { sync: { namespace: 'ops', name: 'apps' }, dir: 'clusters/dev',
 *   revision: 'local', prune: true, maxPruneShare: 0.2 });
 */
export async function syncFolder(cluster: ClusterClient, request: SyncFolderRequest): Promise<SyncFolderResult> {
  const { revision } = request;
  let rendered: KubeObject[];
  try {
    rendered = await renderFolder(request.dir);
  } catch (error) {
    if (error instanceof RenderError)
      return { outcome: { kind: 'render-failed', revision, message: error.message }, desired: [] };
    throw error;
  }
  const desired = rendered.map((object) => withOwnership(object, request.sync));
  const applied = await applyStaged(cluster, desired, {
    labelSelector: selectorFor(request.sync),
    dryRun: request.dryRun,
    concurrency: request.concurrency,
  });
  const current = inventoryOf(applied.objects);
  if (applied.kind === 'failed') {
    const reached = inventoryOf(applied.objects.filter((object) => applied.health.has(objectKey(objectIdOf(object)))));
    const inventory = request.dryRun ? undefined : unionOf(request.previous ?? { entries: [] }, reached);
    return {
      outcome: {
        kind: 'apply-failed',
        revision,
        message: applied.message,
        changeSet: applied.changeSet,
        ...(inventory ? { inventory } : {}),
      },
      desired: applied.objects,
    };
  }
  const { changeSet } = applied;
  let inventory = current;
  if (request.prune && request.previous) {
    const stale = await staleObjects(cluster, staleEntries(request.previous, current));
    const plan = planPrune({
      sync: request.sync,
      previousCount: request.previous.entries.length,
      renderedCount: rendered.length,
      stale,
      maxPruneShare: request.maxPruneShare,
    });
    if (plan.kind === 'refused') {
      return {
        outcome: { kind: 'prune-refused', revision, message: `Prune refused: ${plan.reason}`, changeSet },
        desired: applied.objects,
      };
    }
    for (const skipped of plan.skip) changeSet.add(skipped.id, 'skipped', skipped.reason);
    const versions = new Map(stale.map(({ entry }) => [entry.id, apiVersionOf(entry, parseObjectKey(entry.id).group)]));
    const failures = await deleteInOrder(cluster, plan.delete, versions, changeSet, request.dryRun ?? false);
    if (failures.length > 0) {
      // What could not be deleted stays in the inventory, so the next reconcile tries again.
      const left = new Set(failures.map((f) => f.key));
      inventory = { entries: [...current.entries, ...request.previous.entries.filter((e) => left.has(e.id))] };
      const message = `Prune failed: ${failures.map((f) => f.message).join('; ')}`;
      return { outcome: { kind: 'prune-failed', revision, message, changeSet, inventory }, desired: applied.objects };
    }
  }
  const health = summarise(applied.objects, applied.health);
  const kind = health.failed > 0 ? 'health-failed' : health.inProgress > 0 ? 'progressing' : 'applied';
  return { outcome: { kind, revision, changeSet, inventory, health }, desired: applied.objects };
}

async function staleObjects(cluster: ClusterClient, entries: Inventory['entries']): Promise<StaleObject[]> {
  const stale: StaleObject[] = [];
  await inParallel(entries, 8, async (entry) => {
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
      if (error instanceof Error && error.name === 'UnknownKindError') stale.push({ entry, live: undefined });
      else throw error;
    }
  });
  return stale;
}

/** Deletes stage by stage in reverse apply order, in parallel within a stage. Returns what failed. */
async function deleteInOrder(
  cluster: ClusterClient,
  ids: ObjectId[],
  versions: ReadonlyMap<string, string>,
  changeSet: ChangeSet,
  dryRun: boolean,
): Promise<{ key: string; message: string }[]> {
  const failures: { key: string; message: string }[] = [];
  for (const stage of [...stages].reverse()) {
    const inStage = ids.filter((id) => stageOf(id) === stage);
    await inParallel(inStage, 8, async (id) => {
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

function unionOf(a: Inventory, b: Inventory): Inventory {
  const entries = new Map([...a.entries, ...b.entries].map((entry) => [entry.id, entry]));
  return { entries: [...entries.values()].sort((x, y) => x.id.localeCompare(y.id)) };
}

function summarise(objects: readonly KubeObject[], healthByKey: ReadonlyMap<string, Health>): HealthSummary {
  const summary: HealthSummary = { current: 0, inProgress: 0, failed: 0, notReady: [] };
  for (const object of objects) {
    const id = objectIdOf(object);
    const health = healthByKey.get(objectKey(id)) ?? { status: 'current' as const, message: '' };
    if (health.status === 'current') summary.current++;
    else {
      if (health.status === 'failed') summary.failed++;
      else summary.inProgress++;
      if (summary.notReady.length < 10) summary.notReady.push(`${describeObject(id)}: ${health.message}`);
    }
  }
  return summary;
}
