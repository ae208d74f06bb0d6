import { createHash, randomUUID } from 'node:crypto';
import { maybeDelivered } from '../../adapters/alerts/slack-webhook';
import type { StormFlush } from '../../adapters/events/flush-queue';
import type { DeploymentState } from '../../adapters/github/github-deployments';
import type { VersionedItems } from '../../adapters/state/versioned-items';
import type { SlackMessage } from '../../core/alerts/slack-message';
import { type CommitRecord, type CommitState, markCommitSent, recordCommitState } from '../../core/notify/commit-state';
import { decideSyncEvent, type Effect } from '../../core/notify/decide-sync-event';
import { type DeploymentEvent, syncName } from '../../core/notify/deployment-event';
import type { FailureCause } from '../../core/notify/failure-cause';
import type { NotificationSettings } from '../../core/notify/notification-settings';
import type { Announcement, Storm, StormMember, SyncNotifyState } from '../../core/notify/notify-state';
import type { Channel } from '../../core/notify/route-event';
import { renderDeploymentSlack } from '../../core/notify/slack-deployment-message';
import { renderDeploymentSns, type SnsDeploymentMessage } from '../../core/notify/sns-deployment-message';
import { flushStorm, joinStorm, leaveStorm, type StormStep } from '../../core/notify/storm';
import { deployCommitKey, deployEnvironmentKey, deployStormKey, deploySyncKey } from '../../core/state/state-keys';

/**
 * Everything the notifier talks to; the handler builds these once per container from the environment.
 * `github` and `eventBridge` are absent when the config turns them off (or the config repo is not on GitHub).
 */
export interface NotifierDeps {
  items: VersionedItems;
  settings: NotificationSettings;
  alertsSlackSecret?: string;
  slack: (secretName: string) => { post(message: SlackMessage): Promise<unknown> };
  sns?: { publish(message: SnsDeploymentMessage): Promise<string> };
  github?: {
    commitStatuses: boolean;
    deployments: boolean;
    setCommitStatus(cluster: string, sha: string, state: CommitState, description: string): Promise<void>;
    deploymentFor(cluster: string, sha: string, description: string): Promise<number>;
    setDeploymentState(id: number, cluster: string, state: DeploymentState, description: string): Promise<void>;
  };
  eventBridge?: { put(event: DeploymentEvent): Promise<void> };
  flushes: { schedule(flush: StormFlush, now: Date): Promise<void> };
  now: () => Date;
}

/**
 * One effect not yet done, kept in the outbox of the record whose change decided it. Messages are rendered when
 * decided, so a retry sends the same bytes. Each entry is removed once done; a failed one stays for the retry.
 */
export type OutboxEntry = { id: string; claim?: { token: string; until: number } } & (
  | { kind: 'slack'; secret: string; message: SlackMessage }
  | { kind: 'sns'; message: SnsDeploymentMessage }
  | { kind: 'join-storm'; stormId: string; cause: FailureCause; member: Omit<StormMember, 'announced'> }
  | { kind: 'leave-storm'; stormId: string; key: string; at: string; superseded: boolean }
  | { kind: 'commit-state'; cluster: string; revision: string; sync: string; state: CommitState; description: string }
  | { kind: 'eventbridge'; event: DeploymentEvent }
  | { kind: 'schedule-flush'; stormId: string; due: string }
);

export interface NotifyResult {
  transitions: string[];
  /** Channels a message went to, as `slack:<secret>` or `sns`, and the other effects done (`github`, `eventbridge`). */
  delivered: string[];
}

/** Entries that failed: the message is retried, and the retry does only these. */
export class DeliveryFailed extends AggregateError {
  constructor(errors: { entry: string; error: Error }[]) {
    super(
      errors.map((e) => e.error),
      `could not deliver ${errors.map((e) => e.entry).join(', ')}: ${errors.map((e) => e.error.message).join('; ')}`,
    );
    this.name = 'DeliveryFailed';
  }
}

/** How long records live after their last change: a Sync deleted long ago, a storm long over, an old revision. */
const ttl = { sync: 180 * 24 * 3600, storm: 7 * 24 * 3600, commit: 30 * 24 * 3600 };

export const syncItemId = (e: { cluster: string; sync: { namespace: string; name: string } }) =>
  deploySyncKey(e.cluster, syncName(e.sync));
export const stormItemId = (cause: FailureCause) =>
  deployStormKey(createHash('sha256').update(cause.key).digest('hex').slice(0, 24));
export const commitItemId = deployCommitKey;
export const environmentItemId = deployEnvironmentKey;

/**
 * Handles one deployment event: decides against the Sync's record what it means (core/notify/decide-sync-event.ts),
 * stores the new state together with the effects it calls for, then does them. A delivery of the same event again
 * (SQS is at least once; a failed attempt is retried) decides nothing new and only finishes what the first left.
 */
export async function notifyEvent(event: DeploymentEvent, deps: NotifierDeps): Promise<NotifyResult> {
  const id = syncItemId(event);
  const { transitions, outbox } = await deps.items.update<
    SyncNotifyState,
    OutboxEntry,
    { transitions: string[]; outbox: OutboxEntry[] }
  >(
    id,
    (current) => {
      const decision = decideSyncEvent(current.state, event, {
        settings: deps.settings,
        alertsSlackSecret: deps.alertsSlackSecret,
        now: deps.now(),
      });
      const entries = decision.effects.flatMap((effect, i) => entriesOf(effect, event, `${event.id}:${i}`, deps));
      const outbox = [...current.outbox, ...entries];
      return { state: decision.next, outbox, result: { transitions: decision.transitions, outbox } };
    },
    { ttlSeconds: ttl.sync },
  );
  // One writer per Sync record (its events share a FIFO message group), so its outbox needs no claims.
  const delivered = await drain<SyncNotifyState>(id, outbox, deps, ttl.sync, { shared: false });
  return { transitions, delivered };
}

/** A storm's gathered message is due: sends it (or reschedules itself if it came early). */
export async function notifyFlush(flush: StormFlush, deps: NotifierDeps): Promise<NotifyResult> {
  const { outbox } = await deps.items.update<Storm, OutboxEntry, { outbox: OutboxEntry[] }>(
    flush.stormId,
    (current) => {
      const now = deps.now();
      const step = flushStorm(current.state, now);
      const early =
        step.announcements.length === 0 && step.storm?.flushAt && Date.parse(step.storm.flushAt) > now.getTime() + 500;
      const entries = stormEntries(flush.stormId, step, `${flush.stormId}:flush:${now.getTime()}`, deps);
      if (early && step.storm?.flushAt) {
        entries.push({
          id: `${flush.stormId}:reflush:${now.getTime()}`,
          kind: 'schedule-flush',
          stormId: flush.stormId,
          due: step.storm.flushAt,
        });
      }
      const outbox = [...current.outbox, ...entries];
      return { state: step.storm, outbox, result: { outbox } };
    },
    { ttlSeconds: ttl.storm },
  );
  return { transitions: [], delivered: await drain<Storm>(flush.stormId, outbox, deps, ttl.storm) };
}

/** The outbox entries of one decided effect. */
function entriesOf(effect: Effect, event: DeploymentEvent, id: string, deps: NotifierDeps): OutboxEntry[] {
  switch (effect.kind) {
    case 'announce':
      return announcementEntries(effect.announcement, id, deps);
    case 'join-storm':
      return [
        { id, kind: 'join-storm', stormId: stormItemId(effect.cause), cause: effect.cause, member: effect.member },
      ];
    case 'leave-storm':
      return [
        {
          id,
          kind: 'leave-storm',
          stormId: stormItemId(effect.cause),
          key: effect.key,
          at: effect.at,
          superseded: effect.superseded,
        },
      ];
    case 'commit-state': {
      const { github } = deps;
      if (!github || (!github.commitStatuses && !github.deployments)) return [];
      return [
        {
          id,
          kind: 'commit-state',
          cluster: event.cluster,
          revision: effect.revision,
          sync: syncName(event.sync),
          state: effect.state,
          description: effect.description,
        },
      ];
    }
    case 'eventbridge':
      return deps.eventBridge ? [{ id, kind: 'eventbridge', event: effect.event }] : [];
  }
}

/** One rendered message per channel of an announcement (rendered once per kind of channel). */
function announcementEntries(a: Announcement, id: string, deps: NotifierDeps): OutboxEntry[] {
  const slack = a.channels.some((c) => c.startsWith('slack:')) ? renderDeploymentSlack(a.notification) : undefined;
  return a.channels.flatMap((channel: Channel, i): OutboxEntry[] => {
    if (channel === 'sns')
      return deps.sns ? [{ id: `${id}:${i}`, kind: 'sns', message: renderDeploymentSns(a.notification) }] : [];
    return [{ id: `${id}:${i}`, kind: 'slack', secret: channel.slice('slack:'.length), message: slack! }];
  });
}

function stormEntries(stormId: string, step: StormStep, id: string, deps: NotifierDeps): OutboxEntry[] {
  const entries = step.announcements.flatMap((a, i) => announcementEntries(a, `${id}:${i}`, deps));
  if (step.flushAt) entries.push({ id: `${id}:flush`, kind: 'schedule-flush', stormId, due: step.flushAt });
  return entries;
}

/**
 * How long a worker holds an outbox entry it is doing. Another invocation touching the same record (a storm is shared
 * by every Sync in it) skips a held entry instead of sending it a second time; a holder that died (timeout) loses it
 * after this, shorter than the queues' visibility timeout, so the retry of its message can take it.
 */
const claimMs = 45_000;

/**
 * Does the outbox of a record in order. A chat message leaves the outbox as soon as it is sent (it is the one effect a
 * repeat would show); the other effects are idempotent (joining a storm twice, a commit status set twice, an event a
 * rule drops by id), so they leave together at the end. Every entry is tried even when one fails (Slack being down must
 * not hold back SNS); the failures are thrown together at the end, so the message is retried and the retry finds only
 * them. In a shared record (a storm) an entry another invocation is doing is left to it.
 */
async function drain<T>(
  id: string,
  outbox: readonly OutboxEntry[],
  deps: NotifierDeps,
  ttlSeconds: number,
  options: { shared: boolean } = { shared: true },
): Promise<string[]> {
  const token = randomUUID();
  const delivered: string[] = [];
  const failures: { entry: string; error: Error }[] = [];
  const done = new Set<string>();
  const change = (fn: (outbox: OutboxEntry[]) => { outbox: OutboxEntry[]; ok: boolean }) =>
    deps.items.update<T, OutboxEntry, { ok: boolean }>(
      id,
      (current) => {
        const r = fn(current.outbox);
        return { state: current.state, outbox: r.outbox, result: { ok: r.ok } };
      },
      { ttlSeconds },
    );
  const remove = (ids: Set<string>) =>
    change((current) => ({ outbox: current.filter((e) => !ids.has(e.id)), ok: true }));
  for (const entry of outbox) {
    if (entry.claim && entry.claim.until > deps.now().getTime()) continue;
    if (options.shared) {
      const now = deps.now().getTime();
      const { ok } = await change((current) => {
        const found = current.find((e) => e.id === entry.id);
        if (!found || (found.claim && found.claim.until > now)) return { outbox: current, ok: false };
        return {
          outbox: current.map((e) => (e.id === entry.id ? { ...e, claim: { token, until: now + claimMs } } : e)),
          ok: true,
        };
      });
      if (!ok) continue;
    }
    try {
      delivered.push(...(await perform(entry, deps)));
    } catch (error) {
      // Slack took the request and did not answer in time: it may have posted the message, and a retry could post it
      // twice. It leaves the outbox as if sent; the handler logs it.
      if (maybeDelivered(error)) {
        delivered.push(`${entry.kind === 'slack' ? `slack:${entry.secret}` : entry.kind} (maybe)`);
        await remove(new Set([entry.id]));
        continue;
      }
      failures.push({ entry: `${entry.kind} ${entry.id}`, error: error as Error });
      if (options.shared) {
        await change((current) => ({
          outbox: current.map((e) => (e.id === entry.id && e.claim?.token === token ? { ...e, claim: undefined } : e)),
          ok: true,
        }));
      }
      continue;
    }
    if (entry.kind === 'slack' || entry.kind === 'sns') await remove(new Set([entry.id]));
    else done.add(entry.id);
  }
  if (done.size > 0) await remove(done);
  if (failures.length > 0) throw new DeliveryFailed(failures);
  return delivered;
}

async function perform(entry: OutboxEntry, deps: NotifierDeps): Promise<string[]> {
  switch (entry.kind) {
    case 'slack':
      await deps.slack(entry.secret).post(entry.message);
      return [`slack:${entry.secret}`];
    case 'sns':
      await deps.sns?.publish(entry.message);
      return ['sns'];
    case 'eventbridge':
      await deps.eventBridge?.put(entry.event);
      return ['eventbridge'];
    case 'schedule-flush':
      await deps.flushes.schedule({ type: 'storm-flush', stormId: entry.stormId, due: entry.due }, deps.now());
      return [];
    case 'join-storm':
      return stormStep(entry.stormId, deps, (storm) =>
        joinStorm(storm, entry.cause, entry.member, deps.now(), folds(deps)),
      );
    case 'leave-storm':
      return stormStep(entry.stormId, deps, (storm) =>
        leaveStorm(storm, entry.key, new Date(entry.at), folds(deps), { superseded: entry.superseded }),
      );
    case 'commit-state':
      return commitState(entry, deps);
  }
}

/** Changes a storm (idempotently: joining twice or leaving twice changes nothing) and does what that decided. */
async function stormStep(stormId: string, deps: NotifierDeps, change: (storm: Storm | undefined) => StormStep) {
  const { outbox } = await deps.items.update<Storm, OutboxEntry, { outbox: OutboxEntry[] }>(
    stormId,
    (current) => {
      const step = change(current.state);
      const outbox = [...current.outbox, ...stormEntries(stormId, step, `${stormId}:${current.version}`, deps)];
      return { state: step.storm, outbox, result: { outbox } };
    },
    { ttlSeconds: ttl.storm },
  );
  return outbox.length > 0 ? drain<Storm>(stormId, outbox, deps, ttl.storm) : [];
}

function folds(deps: NotifierDeps) {
  return { foldSeconds: deps.settings.foldSeconds, recoveryFoldSeconds: deps.settings.recoveryFoldSeconds };
}

/**
 * A revision's state in a cluster, told to GitHub when the cluster-wide state changed: the commit status, and the
 * Deployment's status; a success also marks the environment's previous Deployment inactive. Recorded as sent only
 * after GitHub took it, so a failed call is made again by the retry (statuses are idempotent; the Deployment is
 * looked up before it is created).
 */
async function commitState(
  entry: Extract<OutboxEntry, { kind: 'commit-state' }>,
  deps: NotifierDeps,
): Promise<string[]> {
  const github = deps.github;
  if (!github) return [];
  const { cluster, sync } = entry;
  const recordId = commitItemId(cluster, entry.revision);
  const { send, record } = await deps.items.update<CommitRecord, never, ReturnType<typeof recordCommitState>>(
    recordId,
    (current) => {
      const r = recordCommitState(
        current.state,
        { cluster, revision: entry.revision, sync },
        entry.state,
        entry.description,
      );
      return { state: r.record, outbox: [], result: r };
    },
    { ttlSeconds: ttl.commit },
  );
  if (!send) return [];
  if (github.commitStatuses) await github.setCommitStatus(cluster, entry.revision, send.state, send.description);
  let deploymentId = record.deploymentId;
  if (github.deployments) {
    deploymentId ??= await github.deploymentFor(cluster, entry.revision, `Tidemark: ${cluster}`);
    await github.setDeploymentState(deploymentId, cluster, send.state, send.description);
    if (send.state === 'success') await replaceEnvironmentDeployment(cluster, entry.revision, deploymentId, deps);
  }
  await deps.items.update<CommitRecord, never, object>(
    recordId,
    (current) => ({ state: markCommitSent(current.state ?? record, send.state, deploymentId), outbox: [], result: {} }),
    { ttlSeconds: ttl.commit },
  );
  return ['github'];
}

/** The environment now runs `deploymentId`; the one it ran before becomes inactive. */
async function replaceEnvironmentDeployment(
  cluster: string,
  revision: string,
  deploymentId: number,
  deps: NotifierDeps,
) {
  const id = environmentItemId(cluster);
  const { state } = await deps.items.get<{ deploymentId: number; revision: string }, never>(id);
  if (state && state.deploymentId !== deploymentId) {
    await deps.github!.setDeploymentState(
      state.deploymentId,
      cluster,
      'inactive',
      `Replaced by ${revision.slice(0, 7)}`,
    );
  }
  await deps.items.update<{ deploymentId: number; revision: string }, never, object>(
    id,
    () => ({ state: { deploymentId, revision }, outbox: [], result: {} }),
    {},
  );
}
