import { describe, expect, it } from 'vitest';
import { ChangeSet } from './change-set';
import { conditionsFor, mergeConditions } from './conditions';

describe('conditionsFor', () => {
  it('marks a render failure Stalled: retrying cannot help until Git changes', () => {
    expect(
      conditionsFor({ kind: 'render-failed', revision: 'abc', message: 'a.yaml (document 0): has no kind' }),
    ).toEqual([
      { type: 'Ready', status: 'False', reason: 'RenderFailed', message: 'a.yaml (document 0): has no kind' },
      {
        type: 'Stalled',
        status: 'True',
        reason: 'RenderFailed',
        message: 'a.yaml (document 0): has no kind; nothing applied or pruned',
      },
    ]);
  });

  it('marks an apply failure as retrying, not stalled', () => {
    const types = conditionsFor({
      kind: 'apply-failed',
      revision: 'abc',
      message: 'x',
      failures: ['x'],
      changeSet: new ChangeSet(),
    }).map((c) => `${c.type}=${c.status}`);
    expect(types).toEqual(['Ready=False', 'Reconciling=True']);
  });
});

describe('mergeConditions', () => {
  it('keeps the transition time of a condition whose status did not change', () => {
    const now = new Date('2026-01-02T00:00:00Z');
    const previous = [
      {
        type: 'Ready' as const,
        status: 'True' as const,
        reason: 'ReconciliationSucceeded' as const,
        message: 'old',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ];
    const next = [
      { type: 'Ready' as const, status: 'True' as const, reason: 'ReconciliationSucceeded' as const, message: 'new' },
    ];
    expect(mergeConditions(previous, next, now, 3)[0]).toMatchObject({
      lastTransitionTime: '2026-01-01T00:00:00Z',
      message: 'new',
      observedGeneration: 3,
    });
    expect(mergeConditions(previous, [{ ...next[0]!, status: 'False' }], now)[0]?.lastTransitionTime).toBe(
      now.toISOString(),
    );
  });
});
