import { describeProblem } from './parse-declarations';
import { isFailure, type ResourcesOutcome, summariseActions } from './resources-outcome';

/**
 * A folder's conditions, with the kstatus polarity the agent's Syncs use (core/sync/conditions.ts): `Ready` is
 * positive; `Reconciling` and `Stalled` are abnormal-true and absent when all is well. `Stalled` means retrying will not
 * help until Git changes.
 */
export interface ResourcesCondition {
  type: 'Ready' | 'Reconciling' | 'Stalled';
  status: 'True' | 'False';
  reason: ResourcesReason;
  message: string;
  lastTransitionTime?: string;
}

/** Every reason a reconciler writes, declared once. */
export type ResourcesReason =
  | 'ReconciliationSucceeded'
  | 'FetchFailed'
  | 'InvalidDeclaration'
  | 'ReconcileFailed'
  | 'OwnershipConflict'
  | 'ProgressingWithRetry'
  | 'PruneRefused';

const condition = (
  type: ResourcesCondition['type'],
  ok: boolean,
  reason: ResourcesReason,
  message: string,
): ResourcesCondition => ({ type, status: ok ? 'True' : 'False', reason, message });

/** The conditions a reconcile leaves on its folder. */
export function conditionsForResources(o: ResourcesOutcome): ResourcesCondition[] {
  switch (o.kind) {
    case 'fetch-failed':
      return [
        condition('Ready', false, 'FetchFailed', o.message),
        condition('Reconciling', true, 'ProgressingWithRetry', o.message),
      ];
    case 'invalid': {
      const first = o.problems.slice(0, 3).map(describeProblem).join('; ');
      const more = o.problems.length > 3 ? ` (and ${o.problems.length - 3} more)` : '';
      const message = `Revision ${o.revision} has ${o.problems.length} broken declaration${o.problems.length === 1 ? '' : 's'}: ${first}${more}`;
      return [
        condition('Ready', false, 'InvalidDeclaration', message),
        condition('Stalled', true, 'InvalidDeclaration', `${message}; nothing applied or deleted`),
      ];
    }
    case 'applied':
      return [
        condition(
          'Ready',
          true,
          'ReconciliationSucceeded',
          `Applied revision ${o.revision}: ${summariseActions(o.results)}`,
        ),
      ];
    case 'failed': {
      const failures = o.results.filter(isFailure);
      const reason = failures.every((r) => r.action === 'conflict') ? 'OwnershipConflict' : 'ReconcileFailed';
      return [
        condition('Ready', false, reason, o.message),
        condition('Reconciling', true, 'ProgressingWithRetry', o.message),
      ];
    }
    case 'prune-refused':
      return [
        condition('Ready', false, 'PruneRefused', o.message),
        condition('Stalled', true, 'PruneRefused', `${o.message}; nothing deleted`),
      ];
  }
}

/**
 * `next` with each condition's lastTransitionTime kept from `previous` when its status did not change, as Kubernetes
 * conventions ask (the same rule as the Sync's `mergeConditions`, for this folder's own reasons).
 */
export function mergeResourcesConditions(
  previous: readonly ResourcesCondition[],
  next: readonly ResourcesCondition[],
  now: Date,
): ResourcesCondition[] {
  return next.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    const kept = before?.status === c.status && before.lastTransitionTime;
    return { ...c, lastTransitionTime: kept ? before.lastTransitionTime : now.toISOString() };
  });
}
