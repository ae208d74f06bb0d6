import type { HelmReleaseStatus } from '../helm/release-status';
import { type Condition, conditionsFor, mergeConditions } from './conditions';
import type { Inventory } from './inventory';
import type { HealthSummary, SyncOutcome } from './sync-outcome';
import { appliedInventory, revisionApplied } from './sync-outcome';

/** One reconcile attempt as the Sync's status remembers it (the last 5 are kept). */
export interface SyncAttempt {
  revision?: string;
  outcome: SyncOutcome['kind'];
  time: string;
  message: string;
  /** Counts of created/configured/unchanged/deleted objects. */
  changes?: Record<string, number>;
}

/** `status` of a Sync (CRD `syncs.tidemark.dev`), the shape of the CRD's status schema. */
export interface SyncStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  /** The commit subject of `lastAppliedRevision`, for `tidemark get` (a revision is read by its subject). */
  lastAppliedSubject?: string;
  lastSyncTime?: string;
  /** The value of `tidemark.dev/requested-at` this agent has answered, so `tidemark reconcile` can wait for it. */
  lastHandledRequestedAt?: string;
  inventory?: Inventory;
  health?: HealthSummary;
  /**
   * Objects the agent saw differ from Git since its last reconcile and has not put back (self-heal off, or a heal that
   * failed); 0 right after a reconcile, which applies everything again.
   */
  driftedObjects?: number;
  history?: SyncAttempt[];
  /** The Helm release, for a Sync with `spec.helm`. */
  helm?: HelmReleaseStatus;
  /** The Flux HelmReleases of the folder, released (`spec.fluxHelmReleases`), each with its `origin`. */
  helmReleases?: HelmReleaseStatus[];
}

/**
 * The status a Sync gets after a reconcile: conditions from the outcome (transition times kept), revisions, the new
 * inventory only when the objects were applied (a failed render or a refused prune keeps the old one, so the next
 * prune still knows what it owns), and the attempt prepended to the history.
 */
export function statusAfter(
  previous: SyncStatus,
  outcome: SyncOutcome,
  context: { now: Date; generation?: number; requestedAt?: string; subject?: string },
): SyncStatus {
  const conditions = mergeConditions(
    previous.conditions ?? [],
    conditionsFor(outcome),
    context.now,
    context.generation,
  );
  const ready = conditions.find((c) => c.type === 'Ready');
  const changeSet = 'changeSet' in outcome ? outcome.changeSet : undefined;
  const changes = changeSet
    ? Object.fromEntries(
        (['created', 'configured', 'unchanged', 'deleted', 'skipped'] as const).map((a) => [a, changeSet.count(a)]),
      )
    : undefined;
  const attempt: SyncAttempt = {
    ...(outcome.revision === undefined ? {} : { revision: outcome.revision }),
    outcome: outcome.kind,
    time: context.now.toISOString(),
    message: ready?.message ?? '',
    ...(changes ? { changes } : {}),
  };
  const inventory = appliedInventory(outcome) ?? previous.inventory;
  const applied = revisionApplied(outcome);
  return {
    ...previous,
    ...(context.generation === undefined ? {} : { observedGeneration: context.generation }),
    conditions,
    ...(outcome.revision === undefined ? {} : { lastAttemptedRevision: outcome.revision }),
    ...(applied ? { lastAppliedRevision: outcome.revision, lastSyncTime: context.now.toISOString() } : {}),
    ...(applied && context.subject !== undefined ? { lastAppliedSubject: context.subject } : {}),
    // An apply puts every field back, so what drifted before it no longer does.
    ...(applied ? { driftedObjects: 0 } : {}),
    ...(context.requestedAt === undefined ? {} : { lastHandledRequestedAt: context.requestedAt }),
    ...(inventory ? { inventory } : {}),
    ...('health' in outcome ? { health: outcome.health } : {}),
    history: [attempt, ...(previous.history ?? [])].slice(0, 5),
  };
}
