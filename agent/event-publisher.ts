import type { DeploymentEvent } from '../core/notify/deployment-event';

/** Where events go: the cluster's events queue (adapters/events/events-queue.ts). */
export interface EventSender {
  /** Sends in order; resolves with the events not taken, throws when nothing is known to be taken. */
  send(events: readonly DeploymentEvent[]): Promise<{ failed: DeploymentEvent[] }>;
}

export interface EventPublisherOptions {
  /**
   * Events kept while the queue cannot be reached. Past it the oldest are dropped (and counted): a day-long outage must
   * not grow the agent without bound, and the newest events describe the present.
   * @default 1000
   */
  maxBuffered?: number;
  /** How long one send may take before it counts as failed and is retried. @default 10_000 ms */
  sendTimeoutMs?: number;
  /** First wait after a failed send, doubled up to `maxBackoffMs`. @default 1000 ms */
  backoffMs?: number;
  /** @default 60_000 ms */
  maxBackoffMs?: number;
  /** Told of what happened to events, for the agent's metrics and log. */
  onSent?: (count: number) => void;
  onDropped?: (event: DeploymentEvent) => void;
  onSendFailed?: (error: Error, pending: number) => void;
}

/**
 * The agent's outbound-only, at-least-once channel for deployment events. `publish` only buffers and returns, so a
 * reconcile never waits on a slow or unreachable queue; one background loop sends in order, ten at a time, and retries
 * with backoff until the queue takes them. An event whose send timed out may have been stored and is sent again: the
 * FIFO queue drops the repeat by its event id within five minutes, and the notifier by its transition state after.
 */
export class EventPublisher {
  private readonly buffer: DeploymentEvent[] = [];
  private readonly options: Required<Omit<EventPublisherOptions, 'onSent' | 'onDropped' | 'onSendFailed'>> &
    EventPublisherOptions;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly sender: EventSender,
    options: EventPublisherOptions = {},
  ) {
    this.options = { maxBuffered: 1000, sendTimeoutMs: 10_000, backoffMs: 1000, maxBackoffMs: 60_000, ...options };
  }

  /** Events not yet taken by the queue. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Queues events for sending and returns at once. */
  publish(...events: DeploymentEvent[]): void {
    if (this.stopped) return;
    for (const event of events) {
      this.buffer.push(event);
      if (this.buffer.length > this.options.maxBuffered) this.options.onDropped?.(this.buffer.shift()!);
    }
    this.wake?.();
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
  }

  /**
   * Sends what is buffered until `deadlineMs` passes (SIGTERM gives a pod 30 s); returns how many were left unsent.
   * Events published after this are dropped.
   */
  async stop(deadlineMs = 5000): Promise<number> {
    this.stopped = true;
    this.wake?.();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
    await Promise.race([this.loop ?? Promise.resolve(), deadline]);
    return this.buffer.length;
  }

  private async run(): Promise<void> {
    let backoff = this.options.backoffMs;
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, 10);
      try {
        const { failed } = await this.withTimeout(this.sender.send(batch));
        const taken = batch.filter((e) => !failed.includes(e));
        for (const e of taken) this.buffer.splice(this.buffer.indexOf(e), 1);
        if (taken.length > 0) this.options.onSent?.(taken.length);
        if (failed.length === 0) {
          backoff = this.options.backoffMs;
          continue;
        }
        throw new Error(`the queue refused ${failed.length} of ${batch.length} events`);
      } catch (error) {
        this.options.onSendFailed?.(error as Error, this.buffer.length);
        if (this.stopped) return; // stop() gives up on a queue that does not answer
        await this.sleep(backoff);
        backoff = Math.min(this.options.maxBackoffMs, backoff * 2);
      }
    }
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the events queue did not answer within ${this.options.sendTimeoutMs} ms`)),
        this.options.sendTimeoutMs,
      );
      timer.unref();
      work.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }

  /** Waits, with jitter so many agents do not retry in step; a new publish or stop() cuts the wait short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms / 2 + Math.random() * (ms / 2));
      timer.unref();
      this.wake = () => {
        if (!this.stopped) return;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
