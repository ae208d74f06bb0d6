import type { SyncOutcome } from './sync-outcome';

/**
 * The Sync's conditions, with kstatus polarity (fluxcd/pkg `apis/meta`): `Ready` is positive; `Reconciling` and
 * `Stalled` are abnormal-true and absent when all is well. `Stalled` means retrying will not help until Git changes.
 */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: Reason;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** Every reason the agent writes, declared once. */
export type Reason =
  | 'ReconciliationSucceeded'
  | 'Progressing'
  | 'ProgressingWithRetry'
  | 'HealthCheckFailed'
  | 'InvalidSpec'
  | 'FetchFailed'
  | 'RenderFailed'
  | 'ApplyFailed'
  | 'PruneRefused'
  | 'PruneFailed';

const ready = (ok: boolean, reason: Reason, message: string): Condition => ({
  type: 'Ready',
  status: ok ? 'True' : 'False',
  reason,
  message,
});
const reconciling = (reason: Reason, message: string): Condition => ({
  type: 'Reconciling',
  status: 'True',
  reason,
  message,
});
const stalled = (reason: Reason, message: string): Condition => ({ type: 'Stalled', status: 'True', reason, message });

/** The conditions a reconcile outcome leaves on its Sync. */
export function conditionsFor(o: SyncOutcome): Condition[] {
  switch (o.kind) {
    case 'applied':
      return [ready(true, 'ReconciliationSucceeded', `Applied revision ${o.revision}`)];
    case 'progressing': {
      const message = `Applied revision ${o.revision}; waiting for ${o.health.inProgress} objects: ${o.health.notReady.join(', ')}`;
      return [ready(false, 'Progressing', message), reconciling('Progressing', message)];
    }
    case 'health-failed': {
      const message = `Applied revision ${o.revision}; ${o.health.failed} objects failed: ${o.health.notReady.join(', ')}`;
      return [ready(false, 'HealthCheckFailed', message), reconciling('ProgressingWithRetry', message)];
    }
    case 'spec-invalid':
      return [ready(false, 'InvalidSpec', o.message), stalled('InvalidSpec', o.message)];
    case 'fetch-failed':
      return [ready(false, 'FetchFailed', o.message), reconciling('ProgressingWithRetry', o.message)];
    case 'render-failed':
      return [
        ready(false, 'RenderFailed', o.message),
        stalled('RenderFailed', `${o.message}; nothing applied or pruned`),
      ];
    case 'apply-failed':
      return [ready(false, 'ApplyFailed', o.message), reconciling('ProgressingWithRetry', o.message)];
    case 'prune-refused':
      return [ready(false, 'PruneRefused', o.message), stalled('PruneRefused', `${o.message}; nothing pruned`)];
    case 'prune-failed':
      return [ready(false, 'PruneFailed', o.message), reconciling('ProgressingWithRetry', o.message)];
  }
}

/**
 * The new condition list: `next` with each condition's lastTransitionTime kept from `previous` when its status did
 * not change, as Kubernetes conventions ask. Conditions absent from `next` are dropped (kstatus: abnormal-true
 * conditions are removed when they clear). `now` is passed in because core/ reads no clock.
 */
export function mergeConditions(
  previous: readonly Condition[],
  next: readonly Condition[],
  now: Date,
  observedGeneration?: number,
): Condition[] {
  return next.map((condition) => {
    const before = previous.find((c) => c.type === condition.type);
    const lastTransitionTime =
      before?.status === condition.status && before.lastTransitionTime ? before.lastTransitionTime : now.toISOString();
    return {
      ...condition,
      lastTransitionTime,
      ...(observedGeneration === undefined ? {} : { observedGeneration }),
    };
  });
}
