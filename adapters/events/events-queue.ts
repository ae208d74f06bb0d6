import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DeploymentEvent, DeploymentEventSchema } from '../../core/notify/deployment-event';

/** SQS takes at most 10 messages per batch. */
const maxBatch = 10;

/**
 * A cluster's deployment events queue (FIFO), the sending side: the agent. Each Sync's events share one message group,
 * so the notifier reads them in the order they happened; the event id is the deduplication id, so a send the agent
 * retries after a timeout (SQS may have taken the first) is stored once.
 *
 * @example
 * await new EventsQueue(process.env.TIDEMARK_EVENTS_QUEUE_URL!).send([event]);
 */
export class EventsQueue {
  constructor(
    readonly url: string,
    private readonly sqs: SQSClient = new SQSClient({}),
  ) {
    if (!url.endsWith('.fifo')) {
      throw new Error(
        `${url} is not a FIFO queue. Use the cluster's events queue (stack output EventsQueueUrl-<cluster>)`,
      );
    }
  }

  /**
   * Sends events in order, ten per request. Resolves with the events SQS did not take (to send again later); throws
   * when the request itself failed (nothing is known to be taken).
   */
  async send(events: readonly DeploymentEvent[]): Promise<{ failed: DeploymentEvent[] }> {
    const failed: DeploymentEvent[] = [];
    for (let i = 0; i < events.length; i += maxBatch) {
      const batch = events.slice(i, i + maxBatch);
      const out = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.url,
          Entries: batch.map((e, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify(DeploymentEventSchema.parse(e)),
            MessageGroupId: messageGroupOf(e),
            MessageDeduplicationId: e.id,
            MessageAttributes: {
              kind: { DataType: 'String', StringValue: e.kind },
              cluster: { DataType: 'String', StringValue: e.cluster },
            },
          })),
        }),
      );
      for (const f of out.Failed ?? []) failed.push(batch[Number(f.Id)]!);
    }
    return { failed };
  }
}

/** One message group per Sync: SQS allows 128 characters of a limited alphabet, so the name is hashed. */
export function messageGroupOf(e: Pick<DeploymentEvent, 'cluster' | 'sync'>): string {
  return createHash('sha256').update(`${e.cluster}/${e.sync.namespace}/${e.sync.name}`).digest('hex').slice(0, 32);
}
