import { describe, expect, it } from 'vitest';
import { ChangeSet } from './change-set';
import { inventoryOf } from './inventory';
import { eventsFor, healedEvent } from './sync-events';
import type { SyncOutcome } from './sync-outcome';

const web = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };
const old = { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'old' };
const health = { current: 1, inProgress: 0, failed: 0, notReady: [] };

function changes(): ChangeSet {
  const set = new ChangeSet();
  set.add(web, 'configured');
  set.add({ ...web, name: 'api' }, 'unchanged');
  set.add(old, 'deleted');
  return set;
}

describe('the Events a reconcile leaves on its Sync', () => {
  it('names what was applied and what was pruned, and nothing unchanged', () => {
    const outcome: SyncOutcome = {
      kind: 'applied',
      revision: 'abc123',
      changeSet: changes(),
      inventory: inventoryOf([]),
      health,
    };
    expect(eventsFor(outcome, 'Applied revision abc123')).toEqual([
      { type: 'Normal', reason: 'Applied', message: 'Revision abc123: Deployment/shop/web configured' },
      { type: 'Normal', reason: 'Pruned', message: 'ConfigMap/shop/old' },
    ]);
  });

  it('adds a Warning carrying the Ready message for each way of failing', () => {
    const ready = 'the message of the Ready condition';
    const cases: [SyncOutcome, string][] = [
      [{ kind: 'render-failed', revision: 'abc', message: 'bad YAML' }, 'RenderFailed'],
      [{ kind: 'prune-refused', revision: 'abc', message: 'too much', changeSet: new ChangeSet() }, 'PruneRefused'],
      [{ kind: 'fetch-failed', message: 'no route' }, 'ReconcileFailed'],
      [{ kind: 'spec-invalid', message: 'no url' }, 'ReconcileFailed'],
      [
        {
          kind: 'apply-failed',
          revision: 'abc',
          message: '1 object failed',
          failures: ['Deployment/shop/web: spec.selector is immutable'],
          changeSet: new ChangeSet(),
        },
        'ReconcileFailed',
      ],
    ];
    for (const [outcome, reason] of cases) {
      expect(eventsFor(outcome, ready), outcome.kind).toEqual([{ type: 'Warning', reason, message: ready }]);
    }
  });

  it('names the manager whose change a heal reverted, or that the object was deleted', () => {
    expect(healedEvent('Deployment/shop/web', 'kubectl-scale').message).toBe(
      'Deployment/shop/web was changed by kubectl-scale; re-applied from Git',
    );
    expect(healedEvent('Deployment/shop/web', 'deleted').message).toBe(
      'Deployment/shop/web was deleted; re-created from Git',
    );
  });
});
