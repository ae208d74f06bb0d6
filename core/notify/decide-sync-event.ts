import type { CommitState } from './commit-state';
import {
  type DeploymentEvent,
  type DeploymentEventKind,
  deploymentEvent,
  type Severity,
  severityOf,
  syncName,
} from './deployment-event';
import { type FailureCause, failureCause } from './failure-cause';
import type { NotificationSettings } from './notification-settings';
import {
  type Announcement,
  type Failure,
  historyLength,
  initialSyncState,
  type StormMember,
  type SyncNotifyState,
  syncKeyOf,
  type Transition,
} from './notify-state';
import { type Channel, channelsFor } from './route-event';

export interface NotifyContext {
  settings: Pick<NotificationSettings, 'routes' | 'healRenotifyMinutes'>;
  /** `alerts.slackWebhookSecretName`, which a route's `slack` channel means. */
  alertsSlackSecret?: string;
  now: Date;
}

/** Something the notifier does because of an event; the handler runs them in order, each at most once. */
export type Effect =
  /** A chat message about one Sync, sent at once. */
  | { kind: 'announce'; announcement: Announcement }
  /** A failure, gathered with others of its cause before it is announced (storm.ts). */
  | { kind: 'join-storm'; cause: FailureCause; member: Omit<StormMember, 'announced'> }
  /** A failure that ended: announced as recovered (unless `superseded` by another failure). */
  | { kind: 'leave-storm'; cause: FailureCause; cluster: string; key: string; at: string; superseded: boolean }
  /** The revision's state in this cluster: a GitHub commit status, and a Deployment. */
  | { kind: 'commit-state'; revision: string; state: CommitState; description: string }
  /** A transition for users' automation, on the default EventBridge bus. */
  | { kind: 'eventbridge'; event: DeploymentEvent };

export interface SyncDecision {
  next: SyncNotifyState;
  /** The transitions the event made, in order; empty for a repeat, which then has no effects either. */
  transitions: DeploymentEventKind[];
  effects: Effect[];
}

/**
 * What one deployment event means for its Sync, given what the notifier remembers. The agent sends transitions, but
 * at least once, possibly out of order, and again after it restarts; so this decides again, and only a change is
 * announced:
 *
 * - `deployed` once per revision: a repeat of the deployed revision is not a new deployment (Argo CD sent duplicate
 *   on-deployed, argoproj-labs/argocd-notifications#153, #338). A revision that changed nothing in this Sync (a commit
 *   elsewhere in a monorepo) is recorded and reported to GitHub, but not announced in chat.
 * - `failed`/`degraded` once per failure (kind, reason, revision and cause), never re-sent on a timer (Flux re-sends
 *   every 5 minutes by design, fluxcd/notification-controller#445); it joins its cause's storm, so many Syncs failing
 *   for one cause are one message.
 * - `recovered` whenever a failing Sync is healthy again, whether the agent said `recovered` or only `deployed` (Argo CD
 *   has no recovery trigger, argocd-notifications#341); it goes to the channels the failure went to.
 * - `healed` once per object and revision within `healRenotifyMinutes`, repeats counted; `suspended`/`resumed` on change.
 *
 * An event older than the newest one applied, or the same event again, changes nothing.
 */
export function decideSyncEvent(
  previous: SyncNotifyState | undefined,
  event: DeploymentEvent,
  ctx: NotifyContext,
): SyncDecision {
  const state = previous ?? initialSyncState(event);
  const last = state.lastEvent;
  if (last && (last.id === event.id || Date.parse(event.at) < Date.parse(last.at))) {
    return { next: state, transitions: [], effects: [] };
  }
  // A Sync that reconciles is not suspended, whether or not its resume was announced (an agent that restarted while
  // it was suspended does not know it was).
  const active =
    event.kind !== 'suspended' && event.kind !== 'resumed' && state.suspended ? { ...state, suspended: false } : state;
  const step = new Step(active, event, ctx);
  switch (event.kind) {
    case 'deployed':
    case 'recovered':
      step.healthy();
      break;
    case 'failed':
    case 'degraded':
      step.failing(event.kind);
      break;
    case 'healed':
      step.healed();
      break;
    case 'suspended':
    case 'resumed':
      step.suspension(event.kind === 'suspended');
      break;
  }
  return step.result();
}

/** One decision in progress: the state it changes, the transitions it makes and the effects they cause. */
class Step {
  private state: SyncNotifyState;
  private readonly transitions: DeploymentEventKind[] = [];
  private readonly effects: Effect[] = [];
  private readonly key: string;

  constructor(
    state: SyncNotifyState,
    private readonly event: DeploymentEvent,
    private readonly ctx: NotifyContext,
  ) {
    this.state = { ...state, repo: event.repo };
    this.key = syncKeyOf(event);
  }

  healthy(): void {
    const { event, state } = this;
    // The fix of a failure is news even when it only restores what ran before (the agent says `recovered` first).
    const afterFailure = state.failure !== undefined || state.history[0]?.kind === 'recovered';
    if (state.failure) this.recover(state.failure);
    if (event.kind === 'recovered') return;
    if (state.deployed?.revision === event.revision || event.revision === undefined) return;
    // A revision that changed nothing here (a monorepo commit for another folder) is no news to people.
    const changed =
      event.changes === undefined || event.changes.created + event.changes.configured + event.changes.deleted > 0;
    const announce = changed || state.deployed === undefined || afterFailure;
    this.state = {
      ...this.state,
      deployed: { revision: event.revision, subject: event.subject, at: event.at, images: event.images },
    };
    this.record(event, announce);
    if (announce) this.announce(event, 'info');
    this.effects.push({
      kind: 'commit-state',
      revision: event.revision,
      state: 'success',
      description: `${syncName(event.sync)}: deployed${healthText(event)}`,
    });
    this.effects.push({ kind: 'eventbridge', event });
  }

  failing(kind: 'failed' | 'degraded'): void {
    const { event, state } = this;
    const cause = failureCause(event);
    const current = state.failure;
    if (
      current &&
      current.kind === kind &&
      current.reason === event.reason &&
      current.revision === event.revision &&
      current.cause.key === cause.key
    ) {
      return; // the same failure again: not news
    }
    if (current) {
      this.effects.push({
        kind: 'leave-storm',
        cause: current.cause,
        cluster: event.cluster,
        key: this.key,
        at: event.at,
        superseded: true,
      });
    }
    const channels = this.channels(severityOf(kind));
    const failure: Failure = {
      kind,
      reason: event.reason,
      ...(event.revision === undefined ? {} : { revision: event.revision }),
      cause,
      since: current?.since ?? event.at,
      event,
      channels,
    };
    this.state = { ...this.state, failure };
    this.record(event, channels.length > 0);
    this.effects.push({ kind: 'join-storm', cause, member: { key: this.key, event, since: failure.since, channels } });
    if (event.revision !== undefined) {
      this.effects.push({
        kind: 'commit-state',
        revision: event.revision,
        state: 'failure',
        description: `${syncName(event.sync)}: ${event.reason}: ${event.message}`,
      });
    }
    this.effects.push({ kind: 'eventbridge', event });
  }

  healed(): void {
    const { event, state, ctx } = this;
    const object = event.heal?.object ?? event.message;
    const healKey = `${event.revision ?? ''}|${object}`;
    const seen = state.heals[healKey];
    const due = !seen || ctx.now.getTime() - Date.parse(seen.at) >= ctx.settings.healRenotifyMinutes * 60_000;
    const heals = Object.fromEntries(
      Object.entries({
        ...state.heals,
        [healKey]: due ? { at: event.at, count: 1 } : { at: seen.at, count: seen.count + 1 },
      })
        // The 50 most recent objects are enough to fold a fight with one controller; older entries expire.
        .sort(([, a], [, b]) => Date.parse(b.at) - Date.parse(a.at))
        .slice(0, 50),
    );
    this.state = { ...this.state, heals };
    if (!due) return;
    this.record(event, true);
    this.announce(event, 'warning', seen ? seen.count + 1 : undefined);
    this.effects.push({ kind: 'eventbridge', event });
  }

  suspension(suspended: boolean): void {
    if (this.state.suspended === suspended) return;
    this.state = { ...this.state, suspended };
    this.record(this.event, true);
    this.announce(this.event, severityOf(this.event.kind));
    this.effects.push({ kind: 'eventbridge', event: this.event });
  }

  result(): SyncDecision {
    const { event } = this;
    return {
      next: { ...this.state, lastEvent: { id: event.id, at: event.at, kind: event.kind } },
      transitions: this.transitions,
      effects: this.effects,
    };
  }

  private recover(failure: Failure): void {
    const { event } = this;
    // The agent says `recovered` before `deployed`; when it said only `deployed` (it restarted and lost track), the
    // recovery is still a transition, told as an event of its own to EventBridge.
    const recovered =
      event.kind === 'recovered'
        ? event
        : deploymentEvent({
            ...event,
            kind: 'recovered',
            reason: 'Recovered',
            message: `Healthy again after ${failure.reason}`,
            previous: {
              kind: failure.kind,
              reason: failure.reason,
              ...(failure.revision === undefined ? {} : { revision: failure.revision }),
              since: failure.since,
            },
          });
    const { failure: _, ...rest } = this.state;
    this.state = rest;
    this.record(recovered, failure.channels.length > 0);
    this.effects.push({
      kind: 'leave-storm',
      cause: failure.cause,
      cluster: event.cluster,
      key: this.key,
      at: event.at,
      superseded: false,
    });
    const revision = event.revision ?? failure.revision;
    if (revision !== undefined && (failure.revision === undefined || failure.revision === revision)) {
      this.effects.push({
        kind: 'commit-state',
        revision,
        state: 'success',
        description: `${syncName(event.sync)}: recovered${healthText(event)}`,
      });
    }
    this.effects.push({ kind: 'eventbridge', event: recovered });
  }

  private announce(event: DeploymentEvent, severity: Severity, healCount?: number): void {
    const channels = this.channels(severity);
    if (channels.length === 0) return;
    this.effects.push({
      kind: 'announce',
      announcement: { notification: { kind: 'event', event, ...(healCount ? { healCount } : {}) }, channels },
    });
  }

  private channels(severity: Severity): Channel[] {
    return channelsFor(this.ctx.settings, this.ctx.alertsSlackSecret, {
      cluster: this.event.cluster,
      sync: this.event.sync,
      severity,
    });
  }

  private record(event: DeploymentEvent, announced: boolean): void {
    this.transitions.push(event.kind);
    const transition: Transition = {
      kind: event.kind,
      at: event.at,
      ...(event.revision === undefined ? {} : { revision: event.revision }),
      reason: event.reason,
      message: event.message.slice(0, 300),
      announced,
    };
    this.state = { ...this.state, history: [transition, ...this.state.history].slice(0, historyLength) };
  }
}

function healthText(event: DeploymentEvent): string {
  const { current, inProgress, failed } = event.health;
  const total = current + inProgress + failed;
  return total > 0 ? `, ${current}/${total} objects healthy` : '';
}
