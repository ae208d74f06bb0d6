import { describe, expect, it } from 'vitest';
import { ChangeSet } from './change-set';
import { statusAfter } from './sync-status';

const now = new Date('2026-11-25T12:00:00Z');
const inventory = { entries: [{ id: 'shop_web_apps_Deployment', v: 'v1' }] };
const health = { current: 1, inProgress: 0, failed: 0, notReady: [] };

describe('statusAfter', () => {
  it('records an applied revision, its inventory and the attempt', () => {
    const changeSet = new ChangeSet();
    changeSet.add({ group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' }, 'created');
    const status = statusAfter(
      {},
      { kind: 'applied', revision: 'abc', changeSet, inventory, health },
      { now, generation: 2 },
    );
    expect(status).toMatchObject({
      observedGeneration: 2,
      lastAppliedRevision: 'abc',
      lastAttemptedRevision: 'abc',
      lastSyncTime: now.toISOString(),
      inventory,
      conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded' }],
      history: [{ revision: 'abc', outcome: 'applied', changes: { created: 1, configured: 0 } }],
    });
  });

  it('keeps the previous inventory and applied revision when the render fails', () => {
    const previous = { lastAppliedRevision: 'abc', inventory };
    const status = statusAfter(previous, { kind: 'render-failed', revision: 'def', message: 'x.yaml: bad' }, { now });
    expect(status).toMatchObject({ lastAppliedRevision: 'abc', lastAttemptedRevision: 'def', inventory });
    expect(status.conditions?.map((c) => c.type)).toEqual(['Ready', 'Stalled']);
  });

  it('keeps the last five attempts', () => {
    let status = {};
    for (let i = 0; i < 7; i++) status = statusAfter(status, { kind: 'fetch-failed', message: `try ${i}` }, { now });
    expect((status as { history: { message: string }[] }).history.map((a) => a.message)).toEqual([
      'try 6',
      'try 5',
      'try 4',
      'try 3',
      'try 2',
    ]);
  });
});
