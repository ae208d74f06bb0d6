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

  /** Stops polling; resolves when the batch in hand has been handled (its reconciles finished). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** One long poll and the handling of what it returned. */
  async pollOnce(): Promise<ListenerBatch> {
    const visibility = this.options.visibilityTimeoutSeconds ?? 120;
    const received = await this.queue.receive({
      waitTimeSeconds: this.options.waitTimeSeconds ?? 20,
      visibilityTimeoutSeconds: visibility,
      abortSignal: this.abort.signal,
    });
    this.logger.debug('sync queue poll', { received: received.length });
    const batch: ListenerBatch = { received: received.length, dropped: 0, reconciles: [], kept: 0 };
    const toDelete: Receipt[] = [];
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
    for (const group of groupByRepoAndBranch(received)) {
      const { match, messages } = group;
      const applied = await this.reconciler.appliedRevisions(match);
      const pending = messages.filter(
        (m) => applied.length > 0 && !applied.every((revision) => revision === m.request.revision),
      );
      const skipped = messages.filter((m) => !pending.includes(m));
      if (skipped.length > 0) {
        batch.dropped += skipped.length;
        toDelete.push(...skipped.map((m) => m.receipt));
        this.logger.info(applied.length === 0 ? 'no Sync follows this repo and branch' : 'revision already applied', {
          ...match,
          revisions: skipped.map((m) => m.request.revision),
        });
      }
      if (pending.length === 0) continue;
      const heartbeat = this.keepHidden(
        pending.map((m) => m.receipt),
        visibility,
      );
      try {
        const outcomes = await this.reconciler.reconcileNow(match);
        const revisions = pending.map((m) => m.request.revision);
        batch.reconciles.push({ match, revisions, outcomes });
        toDelete.push(...pending.map((m) => m.receipt));
        this.logLatency(pending, outcomes);
      } catch (error) {
        batch.kept += pending.length;
        this.logger.error('reconcile for a sync request failed; the message will be received again', {
          ...match,
          error: (error as Error).message,
        });
      } finally {
        clearInterval(heartbeat);
      }
    }
    const notDeleted = await this.queue.delete(toDelete);
    if (notDeleted.length > 0) this.logger.warn('deleting handled sync requests failed', { messageIds: notDeleted });
    return batch;
  }

  private async run(): Promise<void> {
    let backoffMs = 1000;
    while (!this.abort.signal.aborted) {
      try {
        await this.pollOnce();
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

  /** Extends the messages' visibility every half timeout, so a long reconcile does not hand them to a second receive. */
  private keepHidden(receipts: Receipt[], seconds: number): NodeJS.Timeout {
    return setInterval(
      () => {
        for (const receipt of receipts) {
          this.queue.setVisibility(receipt, seconds).catch((error: Error) => {
            this.logger.warn('extending a sync request’s visibility failed', { error: error.message });
          });
        }
      },
      (seconds * 1000) / 2,
    ).unref();
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
