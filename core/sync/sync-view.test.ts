import { describe, expect, it } from 'vitest';
import { ChangeSet } from './change-set';
import type { KubeObject } from './kube-object';
import type { SyncOutcome } from './sync-outcome';
import { type SyncStatus, statusAfter } from './sync-status';
import { age, renderTable, summarise, waitVerdict } from './sync-view';

const R1 = '1'.repeat(40);
const R2 = '2'.repeat(40);
const now = new Date('2026-11-25T12:00:00Z');
const inventory = { entries: [{ id: 'shop_web_apps_Deployment', v: 'v1' }] };
const changeSet = new ChangeSet();
const outcomes: Record<string, SyncOutcome> = {
  applied: {
    kind: 'applied',
    revision: R1,
    changeSet,
    inventory,
    health: { current: 3, inProgress: 0, failed: 0, notReady: [] },
  },
  progressing: {
    kind: 'progressing',
    revision: R1,
    changeSet,
    inventory,
    health: { current: 2, inProgress: 1, failed: 0, notReady: ['Deployment/shop/web: 1/2 available'] },
  },
  'health-failed': {
    kind: 'health-failed',
    revision: R1,
    changeSet,
    inventory,
    health: { current: 2, inProgress: 0, failed: 1, notReady: ['Deployment/shop/web: ProgressDeadlineExceeded'] },
  },
  'render-failed': { kind: 'render-failed', revision: R2, message: 'web.yaml (document 0): has no kind. Set kind' },
  'fetch-failed': { kind: 'fetch-failed', message: 'Fetching http://git/x.git (main) failed: ECONNREFUSED' },
  'prune-refused': { kind: 'prune-refused', revision: R2, message: 'would delete 3 of 4 objects', changeSet },
  'spec-invalid': { kind: 'spec-invalid', message: "spec.interval: is not a duration. Fix the Sync's spec." },
};

/** A Sync whose status is what the agent writes after these outcomes (core/sync/sync-status.ts). */
function sync(after: SyncOutcome[], extra: { suspend?: boolean; generation?: number } = {}): KubeObject {
  const status = after.reduce<SyncStatus>(
    (s, o, i) => statusAfter(s, o, { now: new Date(now.getTime() - (after.length - i) * 60_000), generation: 1 }),
    {},
  );
  return {
    apiVersion: 'tidemark.dev/v1alpha1',
    kind: 'Sync',
    metadata: { name: 'web', namespace: 'shop', generation: extra.generation ?? 1 },
    spec: { url: 'https://git.example.com/config.git', path: 'clusters/dev', suspend: extra.suspend ?? false },
    status,
  };
}

describe('summarise and the get table', () => {
  it('shows a Sync in every condition the agent writes', () => {
    const rows = [
      summarise(sync([outcomes.applied!])),
      summarise(sync([outcomes.applied!, outcomes.progressing!])),
      summarise(sync([outcomes.applied!, outcomes['health-failed']!])),
      summarise(sync([outcomes.applied!, outcomes['render-failed']!])),
      summarise(sync([outcomes.applied!, outcomes['fetch-failed']!])),
      summarise(sync([outcomes.applied!, outcomes['prune-refused']!])),
      summarise(sync([outcomes['spec-invalid']!])),
      summarise({ ...sync([]), status: undefined }),
      summarise(sync([outcomes.applied!], { suspend: true })),
    ];
    expect(renderTable(rows, { allNamespaces: false, now })).toBe(
      [
        'NAME   REVISION   SUSPENDED   READY     REASON                    LAST SYNC   HEALTH           DRIFT',
        'web    1111111    False       True      ReconciliationSucceeded   60s         3/3              0',
        'web    1111111    False       False     Progressing               60s         2/3              0',
        'web    1111111    False       False     HealthCheckFailed         60s         2/3 (1 failed)   0',
        'web    1111111    False       False     RenderFailed              2m          3/3              0',
        'web    1111111    False       False     FetchFailed               2m          3/3              0',
        'web    1111111    False       False     PruneRefused              2m          3/3              0',
        'web    -          False       False     InvalidSpec               -           -                -',
        'web    -          False       Unknown   NotReconciled             -           -                -',
        'web    1111111    True        True      ReconciliationSucceeded   60s         3/3              0',
      ].join('\n'),
    );
    expect(rows[3]).toMatchObject({ stalled: true, attemptedRevision: R2, revision: R1, inventory: 1 });
    expect(rows[4]).toMatchObject({ stalled: false });
  });

  it('shows the commit subject beside the short sha, and the drift count when the agent reports them', () => {
    const s = sync([outcomes.applied!]);
    s.status = { ...(s.status as object), lastAppliedSubject: 'Update web to 1.2.0', driftedObjects: 2 };
    const table = renderTable([summarise(s)], { allNamespaces: true, now });
    expect(table.split('\n')[1]).toMatch(/^shop {8}web {4}1111111 Update web to 1\.2\.0 .* {3}2$/);
  });

  it('says ages as kubectl does', () => {
    expect(
      ['2026-11-25T11:59:15Z', '2026-11-25T11:30:00Z', '2026-11-25T06:00:00Z', '2026-11-20T12:00:00Z'].map((t) =>
        age(t, now),
      ),
    ).toEqual(['45s', '30m', '6h', '5d']);
  });
});

describe('waitVerdict', () => {
  it('is met at the revision once it is applied and healthy, whatever the sha prefix', () => {
    expect(waitVerdict(sync([outcomes.applied!]), { kind: 'revision', revision: '1111111' })).toEqual({ kind: 'met' });
    expect(waitVerdict(sync([outcomes.applied!]), { kind: 'ready' })).toEqual({ kind: 'met' });
  });

  it('is pending while the revision rolls out, saying what it waits for', () => {
    expect(waitVerdict(sync([outcomes.progressing!]), { kind: 'revision', revision: R1 })).toEqual({
      kind: 'pending',
      reason:
        'it is at 1111111; Ready False, Progressing: Applied revision 1111111111111111111111111111111111111111; waiting for 1 objects: Deployment/shop/web: 1/2 available',
    });
  });

  it('fails at once when the revision cannot be applied (stalled on it), and waits through a failed fetch', () => {
    const stalled = waitVerdict(sync([outcomes.applied!, outcomes['render-failed']!]), {
      kind: 'revision',
      revision: R2,
    });
    expect(stalled).toEqual({
      kind: 'failed',
      reason: 'revision 2222222 cannot be applied: RenderFailed: web.yaml (document 0): has no kind. Set kind',
    });
    expect(
      waitVerdict(sync([outcomes.applied!, outcomes['fetch-failed']!]), { kind: 'revision', revision: R2 }).kind,
    ).toBe('pending');
  });

  it('waits for a Sync that does not exist yet, is suspended, or whose new spec the agent has not seen', () => {
    expect(waitVerdict(undefined, { kind: 'ready' })).toEqual({ kind: 'pending', reason: 'the Sync does not exist' });
    expect(waitVerdict(sync([outcomes.applied!], { suspend: true }), { kind: 'ready' }).kind).toBe('pending');
    expect(waitVerdict(sync([outcomes.applied!], { generation: 2 }), { kind: 'ready' })).toEqual({
      kind: 'pending',
      reason: 'the agent has not yet reconciled its current spec',
    });
  });
});
