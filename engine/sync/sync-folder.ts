import type { Health } from '../../core/sync/health';
import { type Inventory, inventoryOf } from '../../core/sync/inventory';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, objectIdOf, objectKey } from '../../core/sync/object-id';
import { type SyncRef, selectorFor, withOwnership } from '../../core/sync/ownership';
import { RenderError } from '../../core/sync/render';
import {
  applyFailedMessage,
  type HealthSummary,
  pruneFailedMessage,
  type SyncOutcome,
} from '../../core/sync/sync-outcome';
import type { ClusterPort } from '../cluster-port';
import { type RenderOptions, renderFolder } from '../render/render-folder';
import { applyStaged } from './apply-staged';
import { pruneStale } from './prune-stale';

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
  /** Objects already rendered (a Helm release: engine/sync/sync-release.ts); `dir` is not read then. */
  rendered?: KubeObject[];
  /** How `dir` is rendered: the builder, and the deadline and abort signal of a kustomize build. */
  render?: RenderOptions;
  /**
   * Stores what this reconcile is about to apply (with `previous`), before the first write, when it names objects
   * `previous` lacks: an agent killed mid-apply then knows, on its next run, the objects it may have created, and
   * prunes them if they left Git meanwhile. The agent writes it into the Sync's `status.inventory`. A failure stops the
   * reconcile before anything is applied.
   */
  recordIntent?: (intended: Inventory) => Promise<void>;
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
export async function syncFolder(cluster: ClusterPort, request: SyncFolderRequest): Promise<SyncFolderResult> {
  const { revision } = request;
  let rendered: KubeObject[];
  try {
    rendered = request.rendered ?? (await renderFolder(request.dir, request.render));
  } catch (error) {
    if (error instanceof RenderError)
      return { outcome: { kind: 'render-failed', revision, message: error.message }, desired: [] };
    throw error;
  }
  const desired = rendered.map((object) => withOwnership(object, request.sync));
  if (request.recordIntent && !request.dryRun) {
    const previous = request.previous ?? { entries: [] };
    const known = new Set(previous.entries.map((e) => e.id));
    const intended = unionOf(previous, inventoryOf(desired));
    if (intended.entries.some((e) => !known.has(e.id))) await request.recordIntent(intended);
  }
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
        message: applyFailedMessage(applied.stage, applied.failures),
        failures: applied.failures,
        changeSet: applied.changeSet,
        ...(inventory ? { inventory } : {}),
      },
      desired: applied.objects,
    };
  }
  const { changeSet } = applied;
  let inventory = current;
  if (request.prune && request.previous) {
    const pruned = await pruneStale(
      cluster,
      {
        sync: request.sync,
        previous: request.previous,
        current,
        renderedCount: rendered.length,
        maxPruneShare: request.maxPruneShare,
        dryRun: request.dryRun ?? false,
      },
      changeSet,
    );
    if (pruned.kind === 'refused') {
      return {
        outcome: { kind: 'prune-refused', revision, message: `Prune refused: ${pruned.reason}`, changeSet },
        desired: applied.objects,
      };
    }
    inventory = pruned.inventory;
    if (pruned.failures.length > 0) {
      const failures = pruned.failures.map((f) => f.message);
      return {
        outcome: {
          kind: 'prune-failed',
          revision,
          message: pruneFailedMessage(failures),
          failures,
          changeSet,
          inventory,
        },
        desired: applied.objects,
      };
    }
  }
  const health = summarise(applied.objects, applied.health);
  const kind = health.failed > 0 ? 'health-failed' : health.inProgress > 0 ? 'progressing' : 'applied';
  return { outcome: { kind, revision, changeSet, inventory, health }, desired: applied.objects };
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
