import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { promoteWakeKey } from '../../core/state/state-keys';
import type { VersionedItems } from '../state/versioned-items';

/** SQS delays a message by at most 15 minutes; a later gate is looked at by the schedule or a re-delayed wake-up. */
const maxDelaySeconds = 900;

/**
 * The promoter's alarm clock: a delayed message on its own queue for the moment a gate opens by the clock (a soak
 * ends, a window opens), which is how it promotes within seconds of that moment instead of at the next schedule.
 * One wake-up per moment: the time asked for is kept in the State table (`promote-wake#…`), and a moment already
 * asked for (or an earlier one still to come) is not asked again. The record is `promote-wake#<hash of the queue URL>`.
 */
export class WakeQueue {
  constructor(
    readonly url: string,
    private readonly items: VersionedItems,
    private readonly sqs: SQSClient = new SQSClient({}),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Per queue: two promoters sharing a table (the local environment's tests and benchmarks) keep their own clocks. */
  private get itemId(): string {
    return promoteWakeKey(createHash('sha256').update(this.url).digest('hex').slice(0, 16));
  }

  async wakeAt(at: Date): Promise<void> {
    const now = this.now().getTime();
    // Whole seconds, rounded down: the wake-up comes at most a second early, and the run waits out the rest.
    const delay = Math.min(maxDelaySeconds, Math.max(0, Math.floor((at.getTime() - now) / 1000)));
    const due = new Date(now + delay * 1000);
    const { ask } = await this.items.update<{ due: string }, never, { ask: boolean }>(this.itemId, (current) => {
      const pending = current.state && Date.parse(current.state.due) > now ? Date.parse(current.state.due) : undefined;
      if (pending !== undefined && pending <= due.getTime() + 500)
        return { state: current.state, outbox: [], result: { ask: false } };
      return { state: { due: due.toISOString() }, outbox: [], result: { ask: true } };
    });
    if (!ask) return;
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: JSON.stringify({ type: 'promoter-wake', due: due.toISOString() }),
        DelaySeconds: delay,
      }),
    );
  }
}
