import type { FailureCause } from './failure-cause';
import type { Announcement, RecoveredMember, Storm, StormMember } from './notify-state';
import type { Channel } from './route-event';

/** How long failures and recoveries are gathered before their message goes out. */
export interface FoldTimes {
  /** A new failure waits this long for others of the same cause (0: sent at once). */
  foldSeconds: number;
  /**
   * Recoveries of a storm that is not over (some members still fail) wait this long before a "N recovered, M still
   * failing" message; a storm whose last member recovers is announced at once. Longer than the fold, because Syncs
   * retry on their own schedules and recover over tens of seconds after an outage ends.
   */
  recoveryFoldSeconds: number;
}

/** What a storm operation decided: the storm to store (`undefined`: it is over), messages to send, a flush to schedule. */
export interface StormStep {
  storm: Storm | undefined;
  announcements: Announcement[];
  /** Schedule a flush at this time (a delayed message to the notifier), when one became due that was not pending. */
  flushAt?: string;
}

/**
 * A Sync starts failing for `cause`. It joins the cluster's storm of that cause (or opens one); the alert is sent by
 * {@link flushStorm} when the fold time is over, naming every Sync that joined by then. A Sync joining a storm whose
 * alert already went to its channels is folded into that alert (it is counted in the recovery); one routed to a
 * channel the alert did not reach is announced there at the next flush.
 */
export function joinStorm(
  storm: Storm | undefined,
  cause: FailureCause,
  member: Omit<StormMember, 'announced'>,
  now: Date,
  times: FoldTimes,
): StormStep {
  const open = storm && (storm.members.length > 0 || storm.recovered.length > 0) ? storm : undefined;
  const base: Storm = open ?? {
    cause,
    cluster: member.event.cluster,
    openedAt: now.toISOString(),
    members: [],
    recovered: [],
    alertedChannels: [],
  };
  const existing = base.members.find((m) => m.key === member.key);
  const covered = member.channels.every((c) => base.alertedChannels.includes(c));
  const joined: StormMember = existing ? { ...existing, event: member.event } : { ...member, announced: covered };
  const next: Storm = {
    ...base,
    cause,
    members: existing ? base.members.map((m) => (m.key === member.key ? joined : m)) : [...base.members, joined],
    // A Sync that fails again after recovering is failing, not recovered.
    recovered: base.recovered.filter((r) => r.key !== member.key),
  };
  if (joined.announced) return { storm: next, announcements: [] };
  if (times.foldSeconds === 0) return flushStorm(next, now, { force: true });
  return schedule(next, now, times.foldSeconds);
}

/**
 * A Sync of the storm recovered (`superseded`: it now fails for another cause, which is not a recovery). A member
 * whose failure was never announced (a blip shorter than the fold time) leaves without a word. When the last member
 * leaves, the recovery is announced at once; otherwise it is gathered for the recovery fold time.
 */
export function leaveStorm(
  storm: Storm | undefined,
  key: string,
  recoveredAt: Date,
  times: FoldTimes,
  options: { superseded?: boolean } = {},
): StormStep {
  const member = storm?.members.find((m) => m.key === key);
  if (!storm || !member) return { storm, announcements: [] };
  const recovered: RecoveredMember[] =
    member.announced && !options.superseded
      ? [
          ...storm.recovered,
          {
            key,
            event: member.event,
            failedSince: member.since,
            recoveredAt: recoveredAt.toISOString(),
            channels: member.channels,
          },
        ]
      : storm.recovered;
  const next: Storm = { ...storm, members: storm.members.filter((m) => m.key !== key), recovered };
  if (next.members.length === 0 || times.recoveryFoldSeconds === 0) {
    return flushStorm(next, recoveredAt, { force: true });
  }
  if (recovered.length === storm.recovered.length) return { storm: next, announcements: [] };
  return schedule(next, recoveredAt, times.recoveryFoldSeconds);
}

/**
 * Sends what a storm has gathered, if it is due: one "failing" message per channel for members not yet announced there
 * (channels that already have the alert fold them in silently), and one "recovered" message per alerted channel for
 * members that recovered since. A flush that arrives early (scheduled for an earlier generation of the storm) or finds
 * nothing to say does nothing, so flushes may be delivered twice.
 */
export function flushStorm(storm: Storm | undefined, now: Date, options: { force?: boolean } = {}): StormStep {
  if (!storm) return { storm, announcements: [] };
  if (!options.force && storm.flushAt !== undefined && now.getTime() < Date.parse(storm.flushAt) - 500) {
    return { storm, announcements: [] };
  }
  const announcements: Announcement[] = [];
  const alerted = new Set<Channel>(storm.alertedChannels);

  const pending = storm.members.filter((m) => !m.announced);
  const failingBy = byChannel(pending, (c) => !alerted.has(c));
  for (const [members, channels] of groupEqual(failingBy)) {
    announcements.push({ notification: { kind: 'failing', cause: storm.cause, members }, channels });
  }
  for (const channels of failingBy.keys()) alerted.add(channels);
  const members = storm.members.map((m) => (m.announced ? m : { ...m, announced: true }));

  const recoveredBy = byChannel(storm.recovered, (c) => alerted.has(c));
  const stillFailing = (channel: Channel) => members.filter((m) => m.channels.includes(channel));
  for (const [recovered, channels] of groupEqual(recoveredBy)) {
    announcements.push({
      notification: {
        kind: 'recovered',
        cause: storm.cause,
        members: recovered,
        stillFailing: stillFailing(channels[0]!),
      },
      channels,
    });
  }

  if (members.length === 0) return { storm: undefined, announcements };
  const { flushAt: _, ...rest } = storm;
  return { storm: { ...rest, members, recovered: [], alertedChannels: [...alerted] }, announcements };
}

function schedule(storm: Storm, now: Date, seconds: number): StormStep {
  const due = now.getTime() + seconds * 1000;
  // A pending flush due no later covers this too. One overdue by a minute (its message lost) is replaced.
  const pending = storm.flushAt === undefined ? undefined : Date.parse(storm.flushAt);
  if (pending !== undefined && pending <= due && pending > now.getTime() - 60_000) {
    return { storm, announcements: [] };
  }
  const flushAt = new Date(due).toISOString();
  return { storm: { ...storm, flushAt }, announcements: [], flushAt };
}

/** Channel → the items routed there, keeping only channels `keep` accepts. */
function byChannel<T extends { channels: Channel[] }>(items: T[], keep: (c: Channel) => boolean): Map<Channel, T[]> {
  const out = new Map<Channel, T[]>();
  for (const item of items) {
    for (const c of item.channels) if (keep(c)) out.set(c, [...(out.get(c) ?? []), item]);
  }
  return out;
}

/** Channels that would get the same list of items share one message (rendered once, sent to each). */
function groupEqual<T extends { key: string }>(by: Map<Channel, T[]>): [T[], Channel[]][] {
  const groups = new Map<string, [T[], Channel[]]>();
  for (const [channel, items] of by) {
    const id = items.map((i) => i.key).join('\n');
    const group = groups.get(id);
    if (group) group[1].push(channel);
    else groups.set(id, [items, [channel]]);
  }
  return [...groups.values()];
}
