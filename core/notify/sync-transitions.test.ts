import { describe, expect, it } from 'vitest';
import { ChangeSet } from '../sync/change-set';
import type { SyncOutcome } from '../sync/sync-outcome';
import { type SyncStatus, statusAfter } from '../sync/sync-status';
import { R1, R2, R3 } from './notify.fixtures';
import { advance, locationOf, phaseOf, type SyncPhase } from './sync-transitions';

const inventory = { entries: [{ id: 'shop_web_apps_Deployment', v: 'v1' }] };
const healthy = { current: 1, inProgress: 0, failed: 0, notReady: [] };
const applied = (revision: string): SyncOutcome => ({
  kind: 'applied',
  revision,
  changeSet: new ChangeSet(),
  inventory,
  health: healthy,
});
const progressing = (revision: string): SyncOutcome => ({
  kind: 'progressing',
  revision,
  changeSet: new ChangeSet(),
  inventory,
  health: { current: 0, inProgress: 1, failed: 0, notReady: ['Deployment/shop/web: 0/2 available'] },
});
const unhealthy = (revision: string): SyncOutcome => ({
  kind: 'health-failed',
  revision,
  changeSet: new ChangeSet(),
  inventory,
  health: { current: 0, inProgress: 0, failed: 1, notReady: ['Deployment/shop/web: ProgressDeadlineExceeded'] },
});
const broken = (revision: string): SyncOutcome => ({
  kind: 'render-failed',
  revision,
  message:
    'clusters/dev/web.yaml (document 0): is not valid YAML: bad indentation at line 7, column 3. Fix the YAML syntax',
});
const gitDown: SyncOutcome = { kind: 'fetch-failed', message: 'Fetching http://git/x.git (main) failed: ECONNREFUSED' };

const minute = (i: number) => new Date(Date.parse('2026-11-25T10:00:00Z') + i * 60_000);

/** Runs outcomes through {@link advance} from a phase, and returns the transitions each announced. */
function run(outcomes: SyncOutcome[], start: SyncPhase = { kind: 'new' }): string[][] {
  let phase = start;
  return outcomes.map((outcome, i) => {
    const step = advance(phase, outcome, minute(i));
    phase = step.phase;
    return step.transitions.map((t) => `${t.kind}${t.revision ? ` ${t.revision.slice(0, 1)}` : ''}`);
  });
}

/** The status the agent writes after each outcome (core/sync/sync-status.ts). */
function statusAfterAll(outcomes: SyncOutcome[]): SyncStatus {
  return outcomes.reduce<SyncStatus>((status, outcome, i) => statusAfter(status, outcome, { now: minute(i) }), {});
}

describe('advance', () => {
  it('announces a deploy when the rollout is healthy, not while it progresses, and not again on each interval', () => {
    expect(run([progressing(R1), progressing(R1), applied(R1), applied(R1), applied(R1)])).toEqual([
      [],
      [],
      ['deployed 1'],
      [],
      [],
    ]);
  });

  it('announces a broken commit once, then the recovery and the deploy of the fix', () => {
    expect(run([applied(R1), broken(R2), broken(R2), progressing(R3), applied(R3)])).toEqual([
      ['deployed 1'],
      ['failed 2'],
      [],
      [],
      ['recovered 3', 'deployed 3'],
    ]);
  });

  it('announces an apply failure (a failed Helm hook is one), a refused prune and a failed prune as failed, with their reasons', () => {
    const applyFailed: SyncOutcome = {
      kind: 'apply-failed',
      revision: R2,
      message: 'pre-install hook Job/shop/migrate failed: BackoffLimitExceeded',
      failures: ['pre-install hook Job/shop/migrate failed: BackoffLimitExceeded'],
      changeSet: new ChangeSet(),
    };
    const pruneRefused: SyncOutcome = {
      kind: 'prune-refused',
      revision: R2,
      message: 'would delete 4 of 5 objects (80%)',
      changeSet: new ChangeSet(),
    };
    const pruneFailed: SyncOutcome = {
      kind: 'prune-failed',
      revision: R2,
      message: 'ConfigMap/shop/old: delete failed (Forbidden)',
      failures: ['ConfigMap/shop/old: delete failed (Forbidden)'],
      changeSet: new ChangeSet(),
      inventory,
    };
    let phase: SyncPhase = advance({ kind: 'new' }, applied(R1), minute(0)).phase;
    const said = [applyFailed, applyFailed, pruneRefused, pruneFailed].map((outcome, i) => {
      const step = advance(phase, outcome, minute(i + 1));
      phase = step.phase;
      return step.transitions.map((t) => `${t.kind} ${t.reason}: ${t.message}`);
    });
    expect(said).toEqual([
      ['failed ApplyFailed: pre-install hook Job/shop/migrate failed: BackoffLimitExceeded'],
      [], // the same failure at the next retry is no news
      ['failed PruneRefused: would delete 4 of 5 objects (80%)'], // another reason is another failure
      ['failed PruneFailed: ConfigMap/shop/old: delete failed (Forbidden)'],
    ]);
  });

  it('announces a second broken commit as a new failure', () => {
    expect(run([broken(R1), broken(R2)])).toEqual([['failed 1'], ['failed 2']]);
  });

  it('degrades after a deploy and recovers without deploying the same revision again', () => {
    expect(run([applied(R1), unhealthy(R1), unhealthy(R1), applied(R1)])).toEqual([
      ['deployed 1'],
      ['degraded 1'],
      [],
      ['recovered 1'],
    ]);
  });

  it('deploys a revision that degraded before it was ever healthy, once it is', () => {
    expect(run([progressing(R1), unhealthy(R1), applied(R1)])).toEqual([
      [],
      ['degraded 1'],
      ['recovered 1', 'deployed 1'],
    ]);
  });

  it('announces a git outage once, and the recovery when a fetch works again', () => {
    expect(run([applied(R1), gitDown, gitDown, gitDown, applied(R1)])).toEqual([
      ['deployed 1'],
      ['failed'],
      [],
      [],
      ['recovered 1'],
    ]);
  });

  it('says what the recovery recovered from', () => {
    const status = statusAfterAll([broken(R2)]);
    expect(advance(phaseOf(status), applied(R3), minute(5)).transitions[0]).toMatchObject({
      kind: 'recovered',
      previous: { kind: 'failed', reason: 'RenderFailed', revision: R2, since: '2026-11-25T10:00:00.000Z' },
    });
  });
});

describe('phaseOf (an agent that restarted reads where each Sync stood from its status)', () => {
  it('does not announce again a revision that was healthy before the restart', () => {
    expect(run([applied(R1)], phaseOf(statusAfterAll([applied(R1)])))).toEqual([[]]);
  });

  it('does not announce again a failure that was announced before the restart', () => {
    expect(run([broken(R2)], phaseOf(statusAfterAll([applied(R1), broken(R2)])))).toEqual([[]]);
    expect(run([gitDown], phaseOf(statusAfterAll([applied(R1), gitDown])))).toEqual([[]]);
    expect(run([unhealthy(R1)], phaseOf(statusAfterAll([applied(R1), unhealthy(R1)])))).toEqual([[]]);
  });

  it('announces the recovery of a failure it learnt of from the status', () => {
    // Whether R1 was healthy before the outage is not in the status, so "deployed" is said again; the notifier, which
    // remembers the deployed revision, drops it (decide-sync-event.test.ts).
    expect(run([applied(R1)], phaseOf(statusAfterAll([applied(R1), gitDown])))).toEqual([
      ['recovered 1', 'deployed 1'],
    ]);
  });
});

describe('locationOf', () => {
  it('finds the file and line a render error names', () => {
    expect(locationOf('clusters/dev/web.yaml (document 0): is not valid YAML: x at line 7, column 3. Fix it')).toEqual({
      file: 'clusters/dev/web.yaml',
      line: 7,
    });
    expect(locationOf('apps/base/kustomization.yaml: accumulating resources')).toEqual({
      file: 'apps/base/kustomization.yaml',
    });
    expect(locationOf('Fetching http://git/x.git failed')).toBeUndefined();
  });
});
