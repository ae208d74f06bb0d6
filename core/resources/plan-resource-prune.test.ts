import { describe, expect, it } from 'vitest';
import { decideStale, gatePrune } from './plan-resource-prune';

const gate = (over: Partial<Parameters<typeof gatePrune>[0]>) =>
  gatePrune({ previousCount: 10, declaredCount: 9, staleCount: 1, maxPruneShare: 0.2, failedCount: 0, ...over });

describe('gatePrune', () => {
  it('allows a small prune, and anything when nothing is stale', () => {
    expect(gate({})).toEqual({ kind: 'allowed' });
    expect(gate({ staleCount: 0, declaredCount: 0 })).toEqual({ kind: 'allowed' });
  });

  it('refuses when the folder declares nothing', () => {
    expect(gate({ declaredCount: 0, staleCount: 10 })).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('declares nothing'),
    });
  });

  it('refuses more than maxPrunePercent of the inventory', () => {
    expect(gate({ staleCount: 3, declaredCount: 7 })).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('3 of 10 objects (30%), more than maxPrunePercent 20%'),
    });
    expect(gate({ staleCount: 2, declaredCount: 8 })).toEqual({ kind: 'allowed' });
  });

  it('refuses while any declared object failed: a run that could not see the provider deletes nothing', () => {
    expect(gate({ failedCount: 1 })).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('1 declared object failed'),
    });
  });
});

describe('decideStale', () => {
  it('removes only what still carries this owner id', () => {
    expect(decideStale(undefined, 'me')).toEqual({ kind: 'gone' });
    expect(decideStale({ state: {}, owner: 'me' }, 'me')).toEqual({ kind: 'remove' });
    expect(decideStale({ state: {}, owner: null }, 'me')).toMatchObject({ kind: 'skip' });
    expect(decideStale({ state: {}, owner: 'them' }, 'me')).toMatchObject({
      kind: 'skip',
      reason: "it now belongs to owner id 'them'",
    });
  });
});
