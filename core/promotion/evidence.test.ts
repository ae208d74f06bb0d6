import { describe, expect, it } from 'vitest';
import { decideSyncEvent } from '../notify/decide-sync-event';
import { type DeploymentEvent, deploymentEvent } from '../notify/deployment-event';
import { defaultNotificationSettings } from '../notify/notification-settings';
import type { SyncNotifyState } from '../notify/notify-state';
import { candidateOf, missedEvents, observeDeployment } from './evidence';

const repository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
const digest = `sha256:${'a'.repeat(64)}`;
const t = (minute: number) => new Date(Date.parse('2026-12-02T10:00:00Z') + minute * 60_000).toISOString();

function event(kind: DeploymentEvent['kind'], minute: number): DeploymentEvent {
  return deploymentEvent({
    at: t(minute),
    cluster: 'dev',
    sync: { namespace: 'tidemark-system', name: 'dev' },
    repo: 'https://git.example.com/config.git',
    revision: 'c'.repeat(40),
    kind,
    reason:
      kind === 'degraded' ? 'ProgressDeadlineExceeded' : kind === 'recovered' ? 'Recovered' : 'ReconciliationSucceeded',
    ...(kind === 'deployed' ? { images: [{ name: `${repository}:1.2.0`, digest }] } : {}),
    ...(kind === 'recovered'
      ? { previous: { kind: 'degraded' as const, reason: 'ProgressDeadlineExceeded', since: t(10) } }
      : {}),
  });
}

/** The notifier's record after these events, made by the notifier's own decision function. */
function notifierState(events: DeploymentEvent[]): SyncNotifyState {
  let state: SyncNotifyState | undefined;
  for (const e of events) {
    state = decideSyncEvent(state, e, { settings: defaultNotificationSettings, now: new Date(e.at) }).next;
  }
  return state!;
}

describe('catching up missed deployment events from the notifier', () => {
  it('rebuilds the degrade and the recovery the promoter missed, with the ids the agent gave them', () => {
    const deployed = event('deployed', 0);
    const degraded = event('degraded', 10);
    const recovered = event('recovered', 12);
    const missed = missedEvents(notifierState([deployed, degraded, recovered]), deployed.at);
    expect(missed.map((e) => [e.kind, e.at, e.id])).toEqual([
      ['degraded', degraded.at, degraded.id],
      ['recovered', recovered.at, recovered.id],
    ]);
    const caughtUp = missed.reduce((e, m) => observeDeployment(e, m), observeDeployment(undefined, deployed));
    expect(candidateOf(caughtUp, repository)).toMatchObject({ digest, healthySince: recovered.at });
    // The original arriving late changes nothing.
    expect(observeDeployment(caughtUp, recovered)).toEqual(caughtUp);
  });

  it('rebuilds a missed deploy with its digests, and nothing the promoter already has', () => {
    const state = notifierState([event('deployed', 0)]);
    expect(missedEvents(state, undefined).map((e) => e.images)).toEqual([[{ name: `${repository}:1.2.0`, digest }]]);
    expect(missedEvents(state, t(0))).toEqual([]);
  });
});
