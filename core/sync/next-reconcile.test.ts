import { describe, expect, it } from 'vitest';
import { ChangeSet } from './change-set';
import { nextReconcileMs } from './next-reconcile';
import type { SyncOutcome } from './sync-outcome';

const applied: SyncOutcome = {
  kind: 'applied',
  revision: 'a',
  changeSet: new ChangeSet(),
  inventory: { entries: [] },
  health: { current: 1, inProgress: 0, failed: 0, notReady: [] },
};
const failed: SyncOutcome = { kind: 'fetch-failed', message: 'the git server is down' };
const next = (outcome: SyncOutcome | undefined, runs: Partial<{ failedRuns: number; progressingRuns: number }> = {}) =>
  nextReconcileMs({ outcome, intervalSeconds: 60, progressingRuns: 0, failedRuns: 0, random: 0.5, ...runs });

describe('nextReconcileMs', () => {
  it('waits the interval after an apply', () => {
    expect(next(applied)).toBe(60_000);
  });

  it('follows a rollout after 1, 2, 4 and then every 5 seconds', () => {
    const progressing = { ...applied, kind: 'progressing' } as SyncOutcome;
    expect([1, 2, 3, 4, 5].map((progressingRuns) => next(progressing, { progressingRuns }))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it('retries failures after 2 s, doubling up to 5 minutes, whatever the interval', () => {
    expect([1, 2, 3, 4, 8, 9, 20].map((failedRuns) => next(failed, { failedRuns }))).toEqual([
      2000, 4000, 8000, 16_000, 256_000, 300_000, 300_000,
    ]);
    const atTenSeconds = nextReconcileMs({
      outcome: failed,
      intervalSeconds: 10,
      progressingRuns: 0,
      failedRuns: 6,
      random: 0.5,
    });
    expect(atTenSeconds).toBe(64_000);
  });

  it('spreads retries ±25 %, so Syncs failing together do not retry together', () => {
    const at = (random: number) =>
      nextReconcileMs({ outcome: failed, intervalSeconds: 60, progressingRuns: 0, failedRuns: 3, random });
    expect([at(0), at(0.5), at(0.999)]).toEqual([6000, 8000, 9996]);
  });

  it('treats a reconcile that crashed as a failure, and a suspended one as nothing to retry', () => {
    expect(next(undefined, { failedRuns: 1 })).toBe(2000);
    expect(next(undefined)).toBe(60_000);
  });
});
