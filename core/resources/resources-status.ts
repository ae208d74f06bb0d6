import { emptyInventory, type ResourceInventory } from './resource-inventory';
import { conditionsForResources, mergeResourcesConditions, type ResourcesCondition } from './resources-conditions';
import { countActions, type ObjectAction, type ObjectResult, type ResourcesOutcome } from './resources-outcome';

/** One reconcile attempt as the status remembers it (the last 5 are kept). */
export interface ResourcesAttempt {
  revision?: string;
  outcome: ResourcesOutcome['kind'];
  time: string;
  message: string;
  changes?: Partial<Record<ObjectAction, number>>;
}

/** The last drift scan, summed up. */
export interface ResourcesScanSummary {
  time: string;
  revision?: string;
  outcome: 'in-sync' | 'drifted' | 'failed';
  findings: number;
  /** For `failed`: why. */
  message?: string;
  /** Objects self-heal reverted to Git in that scan. */
  healed?: number;
}

/**
 * A folder's status in the State table (`resources#<name>`), what `tidemark get resources` shows: conditions, the last
 * applied and attempted revisions, each object's result of the last reconcile, the inventory prune trusts, and the
 * last drift scan.
 */
export interface ResourcesStatus {
  /** The folder's name in tidemark.config.yaml (`resources[].name`). */
  name: string;
  /** Its path in the config repo. */
  path: string;
  conditions: ResourcesCondition[];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastReconcileTime?: string;
  objects: ObjectResult[];
  inventory: ResourceInventory;
  lastScan?: ResourcesScanSummary;
  history: ResourcesAttempt[];
}

export function initialStatus(name: string, path: string): ResourcesStatus {
  return { name, path, conditions: [], objects: [], inventory: emptyInventory, history: [] };
}

/**
 * The status after a reconcile: conditions from the outcome (transition times kept), revisions, the per-object results
 * and the new inventory when objects were reconciled. A broken declaration or an unreadable repo keeps the previous
 * results and inventory, so the next prune still knows what it owns.
 */
export function statusAfterReconcile(previous: ResourcesStatus, outcome: ResourcesOutcome, now: Date): ResourcesStatus {
  const conditions = mergeResourcesConditions(previous.conditions, conditionsForResources(outcome), now);
  const ready = conditions.find((c) => c.type === 'Ready');
  const reconciled = 'results' in outcome;
  const attempt: ResourcesAttempt = {
    ...(outcome.revision === undefined ? {} : { revision: outcome.revision }),
    outcome: outcome.kind,
    time: now.toISOString(),
    message: ready?.message ?? '',
    ...(reconciled ? { changes: countActions(outcome.results) } : {}),
  };
  return {
    ...previous,
    conditions,
    ...(outcome.revision === undefined ? {} : { lastAttemptedRevision: outcome.revision }),
    ...(outcome.kind === 'applied' ? { lastAppliedRevision: outcome.revision } : {}),
    lastReconcileTime: now.toISOString(),
    ...(reconciled ? { objects: outcome.results, inventory: outcome.inventory } : {}),
    history: [attempt, ...previous.history].slice(0, 5),
  };
}

/** The status after a drift scan: only its summary changes (a scan applies nothing unless self-heal runs a reconcile). */
export function statusAfterScan(previous: ResourcesStatus, scan: ResourcesScanSummary): ResourcesStatus {
  return { ...previous, lastScan: scan };
}

/** True when the folder's last reconcile brought everything in line with Git. */
export function isReady(status: Pick<ResourcesStatus, 'conditions'>): boolean {
  return status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Whether a scheduled run should reconcile instead of scanning: Git moved past what was last attempted (a webhook was
 * missed, or none is configured), or the last attempt failed in a way another try can fix (a provider that did not
 * answer, an unreadable repo). A broken declaration, a conflict or a refused prune waits for a change in Git: retrying
 * them would fail the same way, and a scan still reports the drift.
 */
export function needsCatchUp(status: ResourcesStatus, headRevision: string): boolean {
  if (status.lastAttemptedRevision !== headRevision) return true;
  const last = status.history[0];
  if (last?.outcome === 'fetch-failed') return true;
  return last?.outcome === 'failed' && status.objects.some((o) => o.action === 'failed' || o.action === 'waiting');
}
