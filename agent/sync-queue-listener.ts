import type { Logger } from '@aws-lambda-powertools/logger';
import type { Receipt, ReceivedSyncRequest, SyncQueue } from '../adapters/sync-queue/sync-queue';
import type { SyncRequest } from '../adapters/sync-queue/sync-request';
import { sameRepo } from '../core/config/repo-url';
import type { SyncOutcome } from '../core/sync/sync-outcome';
import type { SyncMatch } from './sync-controller';

/**
 * What the listener needs from the agent: which revisions the matching Syncs hold, and a reconcile now. The agent's
 * `SyncController` is one: it answers both from the Syncs it watches, so the listener lists nothing itself.
 */
export interface SyncReconciler {
  /** `status.lastAppliedRevision` of every Sync that pulls this repo and branch (undefined: nothing applied yet). */
  appliedRevisions(match: SyncMatch): Promise<(string | undefined)[]>;
  /** Reconciles the matching Syncs and resolves once those reconciles have finished. */
  reconcileNow(match: SyncMatch): Promise<SyncOutcome[]>;
}

/** What one receive led to, for logs and tests. */
export interface ListenerBatch {
  received: number;
  /** Messages for a revision every matching Sync had already applied, or that no Sync follows: deleted unprocessed. */
  dropped: number;
  /** Reconciles run: one per repo and branch in the batch, however many messages named it. */
  reconciles: { match: SyncMatch; revisions: string[]; outcomes: SyncOutcome[] }[];
  /** Messages left on the queue: malformed, or their reconcile threw. They come back, then go to the DLQ. */
  kept: number;
}

export interface SyncQueueListenerOptions {
  /** Long-poll wait; SQS's maximum of 20 s means an idle agent makes three requests a minute. */
  waitTimeSeconds?: number;
  /**
   * How long received messages stay hidden. The listener extends it while a reconcile runs, so it only needs to
   * outlast the gap between heartbeats; a crashed agent's messages come back this long after the crash.
   */
  visibilityTimeoutSeconds?: number;
  /**
   * How long a message stays hidden when received, before the listener has seen it: a long poll aborted when the agent
   * stops can still take a message on the SQS side, and nobody is left to hand it back. It then returns after this
   * long instead of after `visibilityTimeoutSeconds`. The listener extends it at once for the messages it handles.
   * @default 5
   */
  receiveVisibilitySeconds?: number;
  /** Batches handled at once; a poll waits for one to finish beyond this. @default 10 */
  concurrentBatches?: number;
}

/**
 * The agent's end of the outbound-only channel: long-polls the cluster's sync queue and reconciles at once the Syncs a
 * push concerns, instead of at their next poll. Messages for a revision already applied are dropped; the messages of
 * one batch that name the same repo and branch become one reconcile; a message is deleted only after its reconcile
 * finished (at-least-once), so an agent that dies mid-reconcile gets it again. A message that cannot be handled is
 * left on the queue and reaches the dead-letter queue after the queue's maxReceiveCount receives.
 *
 * @example
 * const listener = new SyncQueueListener(new SyncQueue(url), agent.controller, logger);
 * listener.start();
 * // on SIGTERM
 * await listener.stop();
 */
export class SyncQueueListener {
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  /** Batches being handled: the poll loop never waits for their reconciles, only {@link stop} does. */
  private readonly handling = new Set<Promise<unknown>>();

  constructor(
    private readonly queue: SyncQueue,
    private readonly reconciler: SyncReconciler,
    private readonly logger: Logger,
    private readonly options: SyncQueueListenerOptions = {},
  ) {}

  /** Polls until {@link stop}. Receive errors (SQS unreachable, credentials expired) are logged and retried with backoff. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops polling at once (the long poll is aborted); resolves when the batches in hand have been handled. Messages
   * whose reconcile finishes after the stop are handed back to the queue rather than deleted: the agent that stops
   * (usually because the controller stops with it) may not have applied their revision.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.handling]);
  }

  /** One long poll and the handling of what it returned. */
  async pollOnce(): Promise<ListenerBatch> {
    return this.handle(await this.receive());
  }

  private async receive(): Promise<ReceivedSyncRequest[]> {
    const received = await this.queue.receive({
      waitTimeSeconds: this.options.waitTimeSeconds ?? 20,
      visibilityTimeoutSeconds: Math.min(this.visibility, this.options.receiveVisibilitySeconds ?? 5),
      abortSignal: this.abort.signal,
    });
    this.logger.debug('sync queue poll', { received: received.length });
    return received;
  }

  private get visibility(): number {
    return this.options.visibilityTimeoutSeconds ?? 120;
  }

  /**
   * What one receive brought: malformed messages handed back for the DLQ, messages for applied revisions deleted, and
   * one reconcile per repo and branch, all at once, each group's messages deleted as soon as its own reconcile ends.
   */
  private async handle(received: ReceivedSyncRequest[]): Promise<ListenerBatch> {
    const batch: ListenerBatch = { received: received.length, dropped: 0, reconciles: [], kept: 0 };
    const heartbeat = this.keepHidden(this.visibility);
    for (const m of received) {
      if (m.kind === 'malformed') {
        // Poison: left for the redrive policy. Hand it back at once so it reaches the DLQ in a few receives.
        this.logger.warn('sync queue message is not a SyncRequest; leaving it for the dead-letter queue', {
          messageId: m.receipt.messageId,
          receiveCount: m.receipt.receiveCount,
          reason: m.reason,
        });
        batch.kept++;
        await this.queue.setVisibility(m.receipt, 0).catch(() => undefined);
      }
    }
    try {
      await Promise.all(groupByRepoAndBranch(received).map((group) => this.handleGroup(group, batch, heartbeat)));
    } finally {
      heartbeat.stop();
    }
    return batch;
  }

  private async handleGroup(
    group: { match: SyncMatch; messages: RequestMessage[] },
    batch: ListenerBatch,
    heartbeat: Heartbeat,
  ): Promise<void> {
    const { match, messages } = group;
    const applied = await this.reconciler.appliedRevisions(match);
    const pending = messages.filter(
      (m) => applied.length > 0 && !applied.every((revision) => revision === m.request.revision),
    );
    const skipped = messages.filter((m) => !pending.includes(m));
    if (skipped.length > 0) {
      batch.dropped += skipped.length;
      this.logger.info(applied.length === 0 ? 'no Sync follows this repo and branch' : 'revision already applied', {
        ...match,
        revisions: skipped.map((m) => m.request.revision),
      });
      await this.settle(skipped, heartbeat, 'delete');
    }
    if (pending.length === 0) return;
    // Hidden for the whole timeout from now on: they were received with a short one (receiveVisibilitySeconds).
    heartbeat.hold(pending.map((m) => m.receipt));
    try {
      const outcomes = await this.reconciler.reconcileNow(match);
      if (this.abort.signal.aborted) {
        // Stopping: the reconcile may have been cut short with the agent, so the next agent gets these at once.
        batch.kept += pending.length;
        await this.settle(pending, heartbeat, 'hand back');
        return;
      }
      const revisions = pending.map((m) => m.request.revision);
      batch.reconciles.push({ match, revisions, outcomes });
      this.logLatency(pending, outcomes);
      await this.settle(pending, heartbeat, 'delete');
    } catch (error) {
      batch.kept += pending.length;
      heartbeat.release(pending.map((m) => m.receipt));
      this.logger.error('reconcile for a sync request failed; the message will be received again', {
        ...match,
        error: (error as Error).message,
      });
    }
  }

  /** Deletes handled messages, or hands them back (visible at once), and stops extending their visibility. */
  private async settle(messages: RequestMessage[], heartbeat: Heartbeat, how: 'delete' | 'hand back'): Promise<void> {
    const receipts = messages.map((m) => m.receipt);
    heartbeat.release(receipts);
    if (how === 'hand back') {
      await Promise.all(receipts.map((r) => this.queue.setVisibility(r, 0).catch(() => undefined)));
      return;
    }
    const notDeleted = await this.queue.delete(receipts).catch((error: Error) => {
      this.logger.warn('deleting handled sync requests failed', { error: error.message });
      return [];
    });
    if (notDeleted.length > 0) this.logger.warn('deleting handled sync requests failed', { messageIds: notDeleted });
  }

  private async run(): Promise<void> {
    let backoffMs = 1000;
    while (!this.abort.signal.aborted) {
      try {
        // Never waits for the reconciles of what it received (one slow repository must not hold back the others'
        // pushes), only for a free place when `concurrentBatches` are in hand.
        while (this.handling.size >= (this.options.concurrentBatches ?? 10)) await Promise.race(this.handling);
        const received = await this.receive();
        const handling: Promise<unknown> = this.handle(received)
          .catch((error: Error) => this.logger.error('handling sync requests failed', { error: error.message }))
          .finally(() => this.handling.delete(handling));
        this.handling.add(handling);
        backoffMs = 1000;
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.logger.error('receiving from the sync queue failed; retrying', {
          queueUrl: this.queue.url,
          retryInMs: backoffMs,
          error: (error as Error).message,
        });
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 60_000);
      }
    }
  }

  /**
   * Hides held messages for `seconds` when held, and again every half of it, so a long reconcile does not hand them to
   * a second receive; each is released when settled.
   */
  private keepHidden(seconds: number): Heartbeat {
    const held = new Set<Receipt>();
    const extend = (receipts: Iterable<Receipt>) => {
      for (const receipt of receipts) {
        this.queue.setVisibility(receipt, seconds).catch((error: Error) => {
          this.logger.warn('extending a sync request’s visibility failed', { error: error.message });
        });
      }
    };
    const timer = setInterval(() => extend(held), (seconds * 1000) / 2).unref();
    return {
      hold: (receipts) => {
        for (const receipt of receipts) held.add(receipt);
        extend(receipts);
      },
      release: (settled) => {
        for (const receipt of settled) held.delete(receipt);
      },
      stop: () => clearInterval(timer),
    };
  }

  private logLatency(messages: RequestMessage[], outcomes: SyncOutcome[]): void {
    const now = Date.now();
    for (const m of messages) {
      const reached = outcomes.filter((o) => o.revision === m.request.revision).map((o) => o.kind);
      this.logger.info('sync request handled', {
        revision: m.request.revision,
        deliveryId: m.request.deliveryId,
        outcomes: reached.length > 0 ? reached : outcomes.map((o) => `${o.kind}@${o.revision ?? '?'}`),
        pushToHandledMs: now - Date.parse(m.request.pushedAt),
      });
    }
  }
}

type RequestMessage = { request: SyncRequest; receipt: Receipt };

/** Keeps received messages hidden until each is released (deleted or handed back). */
interface Heartbeat {
  hold(receipts: readonly Receipt[]): void;
  release(receipts: readonly Receipt[]): void;
  stop(): void;
}

/** Valid messages grouped by the Syncs they concern; repo URLs compare as {@link sameRepo} does. */
function groupByRepoAndBranch(received: ReceivedSyncRequest[]): { match: SyncMatch; messages: RequestMessage[] }[] {
  const groups: { match: SyncMatch; messages: RequestMessage[] }[] = [];
  for (const m of received) {
    if (m.kind !== 'request') continue;
    const group = groups.find((g) => g.match.branch === m.request.branch && sameRepo(g.match.url, m.request.repo));
    if (group) group.messages.push(m);
    else groups.push({ match: { url: m.request.repo, branch: m.request.branch }, messages: [m] });
  }
  return groups;
}
