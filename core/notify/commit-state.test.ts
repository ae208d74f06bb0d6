import { describe, expect, it } from 'vitest';
import { type CommitRecord, markCommitSent, recordCommitState } from './commit-state';
import { R1 } from './notify.fixtures';

const target = (sync: string) => ({ cluster: 'prod', revision: R1, sync });

describe('recordCommitState', () => {
  it('reports a revision once per change of its cluster-wide state', () => {
    const first = recordCommitState(undefined, target('shop/web'), 'success', 'shop/web: deployed');
    expect(first.send).toEqual({ state: 'success', description: 'shop/web: deployed' });
    const sent = markCommitSent(first.record, 'success', 42);
    expect(recordCommitState(sent, target('shop/web'), 'success', 'shop/web: deployed').send).toBeUndefined();
    expect(sent.deploymentId).toBe(42);
  });

  it('is a failure while any Sync of the cluster fails on it, and a success once every one succeeds', () => {
    let record: CommitRecord | undefined;
    const step = (sync: string, state: 'success' | 'failure', description: string) => {
      const r = recordCommitState(record, target(sync), state, description);
      record = r.send ? markCommitSent(r.record, r.send.state) : r.record;
      return r.send;
    };
    expect(step('shop/web', 'success', 'ok')).toEqual({ state: 'success', description: 'ok' });
    expect(step('shop/db', 'failure', 'shop/db: ApplyFailed: x')).toEqual({
      state: 'failure',
      description: 'shop/db: ApplyFailed: x',
    });
    expect(step('shop/web', 'success', 'ok')).toBeUndefined();
    expect(step('shop/db', 'success', 'ok')).toEqual({ state: 'success', description: 'Deployed by 2 Syncs' });
  });

  it('keeps the description within the 140 characters GitHub takes', () => {
    const { send } = recordCommitState(undefined, target('shop/web'), 'failure', `x\n${'y'.repeat(300)}`);
    expect(send?.description.length).toBe(140);
    expect(send?.description).not.toContain('\n');
  });
});

describe('a send GitHub did not take', () => {
  it('is asked for again by the next report of the same state', () => {
    const first = recordCommitState(undefined, target('shop/web'), 'failure', 'RenderFailed');
    // GitHub was down: the caller did not mark it sent.
    expect(recordCommitState(first.record, target('shop/web'), 'failure', 'RenderFailed').send?.state).toBe('failure');
  });
});
