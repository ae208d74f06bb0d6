import type { DeploymentEvent, DeploymentEventKind } from './deployment-event';
import type { FailureCause } from './failure-cause';
import type { Channel } from './route-event';

/**
 * What the notifier remembers per Sync, in the State table as `deploy-sync#<cluster>#<namespace>/<name>`: enough to
 * tell a transition from a repeat, to send "recovered" where the failure went, and to announce "deployed" once per
 * revision. Readable on purpose: the promoter reads `deployed` (what runs, since when) and the UI reads `history`.
 */
export interface SyncNotifyState {
  cluster: string;
  sync: { namespace: string; name: string };
  repo: string;
  /** The last revision deployed (applied and healthy), and when; a repeat of it is not announced again. */
  deployed?: {
    revision: string;
    subject: string;
    at: string;
    images: DeploymentEvent['images'];
  };
  /** Set while the Sync fails or is degraded. */
  failure?: Failure;
  suspended: boolean;
  /** The newest event applied: an older or repeated delivery changes nothing. */
  lastEvent?: { id: string; at: string; kind: DeploymentEventKind };
  /** `<revision>|<object>` → when a heal of it was last announced; repeats within the re-notify time are counted. */
  heals: Record<string, { at: string; count: number }>;
  /** Transitions, newest first (at most {@link historyLength}). */
  history: Transition[];
}

/** A failure in progress: what opened it, where its alert goes, and the storm it folds into. */
export interface Failure {
  kind: 'failed' | 'degraded';
  reason: string;
  revision?: string;
  cause: FailureCause;
  since: string;
  /** The event that opened it, as announced. */
  event: DeploymentEvent;
  /** Where its alert goes; its recovery goes to the same channels. */
  channels: Channel[];
}

/** One transition as the UI timeline shows it. */
export interface Transition {
  kind: DeploymentEventKind;
  at: string;
  revision?: string;
  reason: string;
  message: string;
  /** Whether a chat message was sent for it (a no-change deploy or a folded failure is recorded but not sent alone). */
  announced: boolean;
}

export const historyLength = 20;

export function initialSyncState(event: Pick<DeploymentEvent, 'cluster' | 'sync' | 'repo'>): SyncNotifyState {
  return { cluster: event.cluster, sync: event.sync, repo: event.repo, suspended: false, heals: {}, history: [] };
}

/** `cluster/namespace/name`: one Sync across clusters. */
export function syncKeyOf(e: { cluster: string; sync: { namespace: string; name: string } }): string {
  return `${e.cluster}/${e.sync.namespace}/${e.sync.name}`;
}

/**
 * Many Syncs of one cluster failing for one cause, gathered into one alert and one recovery (`deploy-storm#<hash>` in
 * the State table). A single failing Sync is a storm of one: its alert is the detailed one, naming file and line.
 */
export interface Storm {
  cause: FailureCause;
  cluster: string;
  openedAt: string;
  /** When the gathered alert (or the next partial-recovery message) is due. */
  flushAt?: string;
  /** Syncs still failing, in the order they joined. */
  members: StormMember[];
  /** Syncs recovered since the last message, whose failure had been announced. */
  recovered: RecoveredMember[];
  /** Channels the failing alert went to: a member joining later is folded into it there, not sent again. */
  alertedChannels: Channel[];
}

export interface StormMember {
  key: string;
  event: DeploymentEvent;
  since: string;
  channels: Channel[];
  /** Whether an alert on every one of its channels covered it. */
  announced: boolean;
}

export interface RecoveredMember {
  key: string;
  event: DeploymentEvent;
  failedSince: string;
  recoveredAt: string;
  channels: Channel[];
}

/** What a chat message (Slack or SNS) is about. */
export type Notification =
  /** One Sync: deployed, healed, suspended, resumed. */
  | { kind: 'event'; event: DeploymentEvent; healCount?: number }
  /** One or more Syncs failing (or degraded) for one cause. */
  | { kind: 'failing'; cause: FailureCause; members: StormMember[] }
  /** Syncs that recovered from one cause, and those still failing from it. */
  | { kind: 'recovered'; cause: FailureCause; members: RecoveredMember[]; stillFailing: StormMember[] };

/** A message to send: what it says, and where. */
export interface Announcement {
  notification: Notification;
  channels: Channel[];
}
