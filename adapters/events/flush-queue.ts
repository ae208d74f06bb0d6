import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from '../../core/zod';

/** A reminder to the notifier that a storm's gathered message is due (core/notify/storm.ts). */
export const StormFlush = z.object({
  type: z.literal('storm-flush'),
  /** The State table item of the storm. */
  stormId: z.string().check(z.minLength(1)),
  /** When it is due; an early delivery waits for its turn, a late one is sent at once. */
  due: z.iso.datetime({ offset: true }),
});
export type StormFlush = z.infer<typeof StormFlush>;

/** SQS delays a message by at most 15 minutes; the fold times are validated to fit (notification-settings.ts). */
const maxDelaySeconds = 900;

/**
 * The notifier's own delay line: a standard queue whose messages come back after the fold time, which is how a
 * Lambda function waits without sleeping. The notifier consumes it beside the events queues.
 */
export class FlushQueue {
  constructor(
    readonly url: string,
    private readonly sqs: SQSClient = new SQSClient({}),
  ) {}

  async schedule(flush: StormFlush, now: Date): Promise<void> {
    const delay = Math.ceil((Date.parse(flush.due) - now.getTime()) / 1000);
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: JSON.stringify(StormFlush.parse(flush)),
        DelaySeconds: Math.min(maxDelaySeconds, Math.max(0, delay)),
      }),
    );
  }
}
