import { describe, expect, it } from 'vitest';
import { decideSyncEvent, type Effect, type NotifyContext } from './decide-sync-event';
import type { DeploymentEvent } from './deployment-event';
import { defaultNotificationSettings, NotificationSettings } from './notification-settings';
import { event, now, R1, R2, R3 } from './notify.fixtures';
import type { SyncNotifyState } from './notify-state';

const ctx = (seconds = 0, settings = defaultNotificationSettings): NotifyContext => ({
  settings,
  alertsSlackSecret: 'tidemark/slack',
  now: now(seconds),
});

/** Feeds the events in order and returns, per event, its effects as short strings. */
function run(events: DeploymentEvent[], settings = defaultNotificationSettings) {
  let state: SyncNotifyState | undefined;
  const out = events.map((e) => {
    const d = decideSyncEvent(
      state,
      e,
      ctx(Date.parse(e.at) / 1000 - Date.parse('2026-11-25T10:00:00Z') / 1000, settings),
    );
    state = d.next;
    return d.effects.map(effectText);
  });
  return { out, state: state! };
}

function effectText(e: Effect): string {
  switch (e.kind) {
    case 'announce':
      return `announce ${e.announcement.notification.kind === 'event' ? e.announcement.notification.event.kind : e.announcement.notification.kind} → ${e.announcement.channels.join(',')}`;
    case 'join-storm':
      return `join ${e.member.event.kind} → ${e.member.channels.join(',')}`;
    case 'leave-storm':
      return e.superseded ? 'leave (superseded)' : 'leave';
    case 'commit-state':
      return `commit ${e.revision.slice(0, 1)} ${e.state}`;
    case 'eventbridge':
      return `eventbridge ${e.event.kind}`;
  }
}

describe('decideSyncEvent', () => {
  it('announces a revision once, however often the agent reports it deployed', () => {
    const { out, state } = run([event('deployed', 0), event('deployed', 60), event('deployed', 120)]);
    expect(out).toEqual([
      ['announce deployed → sns,slack:tidemark/slack', 'commit 1 success', 'eventbridge deployed'],
      [],
      [],
    ]);
    expect(state.deployed).toMatchObject({ revision: R1, subject: 'Update web to 1.2.0' });
  });

  it('drops a redelivered event and one older than the newest applied', () => {
    const first = event('deployed', 10);
    const { out } = run([first, first, event('failed', 5)]);
    expect(out.slice(1)).toEqual([[], []]);
  });

  it('fails once per failure: the same failure again is no news, never re-sent on a timer', () => {
    const { out } = run([event('deployed', 0), event('failed', 10), event('failed', 70), event('failed', 400)]);
    expect(out[1]).toEqual(['join failed → sns,slack:tidemark/slack', 'commit 2 failure', 'eventbridge failed']);
    expect(out.slice(2)).toEqual([[], []]);
  });

  it('tells a new broken commit apart from the same failure: another revision is another failure', () => {
    const { out } = run([event('failed', 0), event('failed', 10, { revision: R3 })]);
    expect(out[1]).toEqual([
      'leave (superseded)',
      'join failed → sns,slack:tidemark/slack',
      'commit 3 failure',
      'eventbridge failed',
    ]);
  });

  it('recovers then deploys the fix, in that order, when the agent says only "deployed"', () => {
    const { out, state } = run([event('deployed', 0), event('failed', 10), event('deployed', 20, { revision: R3 })]);
    expect(out[2]).toEqual([
      'leave',
      'eventbridge recovered',
      'announce deployed → sns,slack:tidemark/slack',
      'commit 3 success',
      'eventbridge deployed',
    ]);
    expect(state.failure).toBeUndefined();
    expect(state.history.map((h) => h.kind)).toEqual(['deployed', 'recovered', 'failed', 'deployed']);
  });

  it('recovers once when the agent says "recovered" and then "deployed" for the fix', () => {
    const { out } = run([
      event('failed', 0),
      event('recovered', 10, { revision: R3 }),
      event('deployed', 11, { revision: R3 }),
    ]);
    expect(out[1]).toEqual(['leave', 'eventbridge recovered']);
    expect(out[2]).toEqual([
      'announce deployed → sns,slack:tidemark/slack',
      'commit 3 success',
      'eventbridge deployed',
    ]);
  });

  it('marks the failed revision green again when it recovers in place (a transient apply error)', () => {
    const { out } = run([
      event('deployed', 0, { revision: R2 }),
      event('failed', 10, { reason: 'ApplyFailed', message: 'the server is currently unable to handle the request' }),
      event('recovered', 20, { revision: R2 }),
    ]);
    expect(out[2]).toEqual(['leave', 'commit 2 success', 'eventbridge recovered']);
  });

  it('degrades after a deploy and recovers without announcing the same revision again', () => {
    const { out } = run([event('deployed', 0), event('degraded', 30), event('recovered', 60), event('deployed', 61)]);
    expect(out[1]).toEqual(['join degraded → sns,slack:tidemark/slack', 'commit 1 failure', 'eventbridge degraded']);
    expect(out[2]).toEqual(['leave', 'commit 1 success', 'eventbridge recovered']);
    expect(out[3]).toEqual([]);
  });

  it('does not announce a revision that changed nothing in this Sync (a monorepo commit elsewhere), but records it', () => {
    const { out, state } = run([
      event('deployed', 0),
      event('deployed', 60, { revision: R2, changes: { created: 0, configured: 0, deleted: 0 } }),
    ]);
    expect(out[1]).toEqual(['commit 2 success', 'eventbridge deployed']);
    expect(state.deployed?.revision).toBe(R2);
    expect(state.history[0]).toMatchObject({ kind: 'deployed', announced: false });
  });

  it('announces the fix of a failure even when it restores exactly what ran before', () => {
    const none = { created: 0, configured: 0, deleted: 0 };
    const { out } = run([
      event('deployed', 0),
      event('failed', 10),
      event('recovered', 20, { revision: R3 }),
      event('deployed', 21, { revision: R3, changes: none }),
    ]);
    expect(out[3]).toEqual([
      'announce deployed → sns,slack:tidemark/slack',
      'commit 3 success',
      'eventbridge deployed',
    ]);
  });

  it('announces a heal once per object and revision within the re-notify time, counting the repeats', () => {
    const heal = (s: number) => event('healed', s);
    const { out, state } = run([heal(0), heal(10), heal(20), heal(3700)]);
    expect(out.map((o) => o.length)).toEqual([2, 0, 0, 2]);
    expect(Object.values(state.heals)[0]).toMatchObject({ count: 1 });
  });

  it('announces suspend and resume on change only', () => {
    const { out } = run([event('suspended', 0), event('suspended', 10), event('resumed', 20), event('resumed', 30)]);
    expect(out.map((o) => o.length)).toEqual([2, 0, 2, 0]);
  });

  describe('routing', () => {
    const settings = NotificationSettings.parse({
      routes: [
        { clusters: ['prod'], syncs: ['shop/*'], minSeverity: 'error', channels: [{ slack: 'team/shop-alerts' }] },
        { clusters: ['*'], minSeverity: 'info', channels: ['sns'] },
      ],
    });

    it('sends each event to the channels of every route it meets, each once', () => {
      const { out } = run([event('deployed', 0), event('failed', 10)], settings);
      expect(out[0]![0]).toBe('announce deployed → sns');
      expect(out[1]![0]).toBe('join failed → slack:team/shop-alerts,sns');
    });

    it('sends the recovery where the failure went, even to a route that takes errors only', () => {
      const { state } = run([event('failed', 0)], settings);
      expect(state.failure?.channels).toEqual(['slack:team/shop-alerts', 'sns']);
      // The recovery is announced by the storm the failure joined, to these channels (storm.test.ts).
    });

    it('sends nothing for a Sync no route matches, but still records and reports it', () => {
      const only = NotificationSettings.parse({ routes: [{ clusters: ['dev'], channels: ['sns'] }] });
      const { out } = run([event('deployed', 0)], only);
      expect(out[0]).toEqual(['commit 1 success', 'eventbridge deployed']);
    });
  });
});

describe('NotificationSettings', () => {
  it('refuses a channel it does not know, saying which ones exist', () => {
    const r = NotificationSettings.safeParse({ routes: [{ channels: ['email'] }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain("Use 'sns', 'slack'");
  });

  it('refuses a fold longer than SQS can delay a message', () => {
    expect(NotificationSettings.safeParse({ foldSeconds: 901 }).success).toBe(false);
  });

  it('matches a Sync pattern without a namespace against the name in any namespace', () => {
    const settings = NotificationSettings.parse({ routes: [{ syncs: ['web'], channels: ['sns'] }] });
    const { out } = run([event('deployed', 0)], settings);
    expect(out[0]![0]).toBe('announce deployed → sns');
  });
});
