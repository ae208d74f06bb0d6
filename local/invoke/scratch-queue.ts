import { randomBytes } from 'node:crypto';
import { DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createQueueWithDlq } from '../queue-with-dlq';

export interface ScratchQueue {
  url: string;
  arn: string;
  /** The dead-letter queue that takes a message after `maxReceiveCount` receives. */
  dlqUrl: string;
  /** Messages waiting on the dead-letter queue (received and left there: their visibility is set to 0 again). */
  deadLetters(waitTimeSeconds?: number): Promise<string[]>;
  /** Messages on the queue, waiting or in flight (received and not yet deleted). */
  depth(): Promise<number>;
  delete(): Promise<void>;
}

/**
 * A queue of its own for one test or demo run, with a dead-letter queue and redrive policy like the stack's sync and
 * image-event queues, so tests exercise the same redrive behaviour without sharing the environment's queues.
 */
export async function createScratchQueue(
  prefix: string,
  options: { fifo?: boolean; maxReceiveCount?: number; visibilityTimeoutSeconds?: number; sqs?: SQSClient } = {},
): Promise<ScratchQueue> {
  const sqs = options.sqs ?? new SQSClient({});
  const { url, arn, dlqUrl } = await createQueueWithDlq(sqs, {
    name: `${prefix}-${randomBytes(4).toString('hex')}`,
    fifo: options.fifo,
    maxReceiveCount: options.maxReceiveCount ?? 3,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
  });
  return {
    url,
    arn,
    dlqUrl,
    async deadLetters(waitTimeSeconds = 1) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitTimeSeconds,
          VisibilityTimeout: 0,
        }),
      );
      return (out.Messages ?? []).map((m) => m.Body ?? '');
    },
    async depth() {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    },
    async delete() {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    },
  };
}
