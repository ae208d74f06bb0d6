import { describe, expect, it } from 'vitest';
import { failureCause } from './failure-cause';
import { event, now, syncs } from './notify.fixtures';
import type { Announcement, Storm } from './notify-state';
import type { Channel } from './route-event';
import { type FoldTimes, flushStorm, joinStorm, leaveStorm } from './storm';

const times: FoldTimes = { foldSeconds: 10, recoveryFoldSeconds: 120 };
const slack: Channel = 'slack:tidemark/slack';

const gitDown = (name: string, seconds: number) =>
  event('failed', seconds, {
    sync: { namespace: 'shop', name },
    repo: `http://127.0.0.1:9418/${name}.git`,
    revision: undefined,
    reason: 'FetchFailed',
    message: `Fetching http://git:secret@127.0.0.1:9418/${name}.git (main) failed: connect ECONNREFUSED 127.0.0.1:9418`,
    location: undefined,
  });
const cause = failureCause(gitDown('x', 0));
const member = (name: string, seconds: number, channels: Channel[] = [slack, 'sns']) => ({
  key: `prod/shop/${name}`,
  event: gitDown(name, seconds),
  since: now(seconds).toISOString(),
  channels,
});

/** Every announcement as `kind count → channels`. */
const said = (as: Announcement[]) =>
  as.map((a) => {
    const n = a.notification;
    const count = n.kind === 'event' ? 1 : n.members.length;
    const still =
      n.kind === 'recovered' && n.stillFailing.length > 0 ? ` (${n.stillFailing.length} still failing)` : '';
    return `${n.kind} ${count}${still} → ${a.channels.join(',')}`;
  });

describe('storms', () => {
  it('folds 20 Syncs failing for one cause into one alert, and their recovery into one message', () => {
    let storm: Storm | undefined;
    const sent: string[] = [];
    const flushes: string[] = [];
    for (const [i, sync] of syncs(20).entries()) {
      const step = joinStorm(storm, cause, member(sync.name, i * 0.2), now(i * 0.2), times);
      storm = step.storm;
      sent.push(...said(step.announcements));
      if (step.flushAt) flushes.push(step.flushAt);
    }
    expect(sent).toEqual([]);
    expect(flushes).toEqual([now(10).toISOString()]);
    const alert = flushStorm(storm, now(10));
    expect(said(alert.announcements)).toEqual([`failing 20 → ${slack},sns`]);
    storm = alert.storm;
    for (const [i, sync] of syncs(20).entries()) {
      const step = leaveStorm(storm, `prod/shop/${sync.name}`, now(60 + i * 3), times);
      storm = step.storm;
      sent.push(...said(step.announcements));
    }
    expect(sent).toEqual([`recovered 20 → ${slack},sns`]);
    expect(storm).toBeUndefined();
  });

  it('says nothing about a failure that cleared before its alert was due (a blip)', () => {
    const joined = joinStorm(undefined, cause, member('web', 0), now(0), times);
    const left = leaveStorm(joined.storm, 'prod/shop/web', now(4), times);
    expect(left.announcements).toEqual([]);
    expect(left.storm).toBeUndefined();
    // The flush scheduled for the failure finds nothing to say.
    expect(flushStorm(left.storm, now(10)).announcements).toEqual([]);
  });

  it('sends a partial recovery after the recovery fold, naming those still failing', () => {
    let storm = flushStorm(
      [member('a', 0), member('b', 0), member('c', 0)].reduce<Storm | undefined>(
        (s, m) => joinStorm(s, cause, m, now(0), times).storm,
        undefined,
      ),
      now(10),
    ).storm;
    const first = leaveStorm(storm, 'prod/shop/a', now(30), times);
    expect(first.flushAt).toBe(now(150).toISOString());
    storm = leaveStorm(first.storm, 'prod/shop/b', now(35), times).storm;
    expect(flushStorm(storm, now(100)).announcements).toEqual([]); // not due yet
    expect(said(flushStorm(storm, now(150)).announcements)).toEqual([`recovered 2 (1 still failing) → ${slack},sns`]);
  });

  it('folds a Sync that joins after the alert into it, and counts it in the recovery', () => {
    const opened = joinStorm(undefined, cause, member('a', 0), now(0), times);
    const alerted = flushStorm(opened.storm, now(10));
    const late = joinStorm(alerted.storm, cause, member('b', 30), now(30), times);
    expect(late.announcements).toEqual([]);
    expect(late.flushAt).toBeUndefined();
    const a = leaveStorm(late.storm, 'prod/shop/a', now(60), times);
    const b = leaveStorm(a.storm, 'prod/shop/b', now(61), times);
    expect(said(b.announcements)).toEqual([`recovered 2 → ${slack},sns`]);
  });

  it('announces a late Sync on a channel the alert did not reach', () => {
    const team: Channel = 'slack:team/payments';
    const opened = joinStorm(undefined, cause, member('a', 0, ['sns']), now(0), times);
    const alerted = flushStorm(opened.storm, now(10));
    const late = joinStorm(alerted.storm, cause, member('b', 30, ['sns', team]), now(30), times);
    expect(late.flushAt).toBe(now(40).toISOString());
    expect(said(flushStorm(late.storm, now(40)).announcements)).toEqual([`failing 1 → ${team}`]);
  });

  it('sends at once with a fold time of 0', () => {
    const step = joinStorm(undefined, cause, member('a', 0), now(0), { foldSeconds: 0, recoveryFoldSeconds: 0 });
    expect(said(step.announcements)).toEqual([`failing 1 → ${slack},sns`]);
  });

  it('ignores a flush scheduled for an earlier storm of the same cause', () => {
    const first = joinStorm(undefined, cause, member('a', 0), now(0), times);
    const blip = leaveStorm(first.storm, 'prod/shop/a', now(2), times);
    const again = joinStorm(blip.storm, cause, member('a', 5), now(5), times);
    expect(flushStorm(again.storm, now(10)).announcements).toEqual([]);
    expect(said(flushStorm(again.storm, now(15)).announcements)).toEqual([`failing 1 → ${slack},sns`]);
  });

  it('leaves without a recovery message when a new failure supersedes the old one', () => {
    const alerted = flushStorm(joinStorm(undefined, cause, member('a', 0), now(0), times).storm, now(10));
    const left = leaveStorm(alerted.storm, 'prod/shop/a', now(20), times, { superseded: true });
    expect(left.announcements).toEqual([]);
  });
});

describe('failureCause', () => {
  it('gives one key to the same git outage seen by different Syncs, whatever their URLs and credentials', () => {
    expect(failureCause(gitDown('a', 0)).key).toBe(failureCause(gitDown('b', 5)).key);
    expect(cause.summary).toBe('cannot fetch from 127.0.0.1:9418: connect ECONNREFUSED 127.0.0.1:9418');
  });

  it('ignores request ids and durations, which made Flux send every attempt again (#509, #1386)', () => {
    const sts = (id: string, ms: string) =>
      event('failed', 0, {
        reason: 'ApplyFailed',
        message: `AWS authentication failed: STS AssumeRoleWithWebIdentity 503, RequestID: ${id}, after ${ms}`,
      });
    expect(failureCause(sts('804c5f8f-e91a-4129-8962-0123456789ab', '2.084434647s')).key).toBe(
      failureCause(sts('2ceab677-380e-4f9e-8723-ba9876543210', '2.075916724s')).key,
    );
  });

  it('keeps different failures apart: another reason or another message is another cause', () => {
    const render = failureCause(event('failed', 0));
    expect(render.key).not.toBe(cause.key);
    expect(failureCause(event('failed', 0, { message: 'other.yaml (document 0): has no kind' })).key).not.toBe(
      render.key,
    );
  });
});
