import type { SyncOutcome } from './sync-outcome';

/** The first retry after a failure, and the longest: a Sync that keeps failing is looked at every 5 minutes. */
export const retryBaseMs = 2000;
export const retryMaxMs = 5 * 60_000;

export interface NextReconcileInput {
  /** How the last reconcile ended; undefined when it did not run (suspended) or crashed. */
  outcome: SyncOutcome | undefined;
  /** `spec.interval`, in seconds. */
  intervalSeconds: number;
  /** Reconciles in a row that ended `progressing` (applied, waiting for health), this one included. */
  progressingRuns: number;
  /** Reconciles in a row that failed, this one included. */
  failedRuns: number;
  /** A number in [0, 1): `Math.random()` in the agent, fixed in tests (core reads no randomness of its own). */
  random: number;
}

/**
 * When to reconcile a Sync again, in milliseconds from now.
 *
 * - Applied: after `spec.interval`.
 * - Progressing: a rollout usually turns healthy within seconds of the apply, so look again after 1 s, then 2 s, 4 s,
 *   and every 5 s, so Ready follows the rollout closely without re-reconciling a slow one every second.
 * - Failed (or crashed): 2 s, 4 s, 8 s … up to 5 minutes, whatever the interval, each ±25 % at random. A failure is not
 *   retried at the interval: a Sync polled every 10 s against a git server that is down would fetch six times a minute
 *   for the whole outage, and every Sync of that server would retry in the same second. The queue still wakes a failing
 *   Sync at once for a new push, and a spec change reconciles at once.
 */
export function nextReconcileMs(input: NextReconcileInput): number {
  const intervalMs = input.intervalSeconds * 1000;
  const { outcome } = input;
  if (outcome?.kind === 'applied') return intervalMs;
  if (outcome?.kind === 'progressing') {
    return Math.min(intervalMs, 5000, 1000 * 2 ** Math.max(0, input.progressingRuns - 1));
  }
  if (outcome === undefined && input.failedRuns === 0) return intervalMs;
  const backoff = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, input.failedRuns - 1));
  return Math.round(backoff * (0.75 + input.random / 2));
}
