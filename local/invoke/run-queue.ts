import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext } from './lambda-context';
import { sqsRecordFromMessage } from './sqs-event';

/** Any SQS handler; a `SQSBatchResponse` result reports partial failures, anything else means all succeeded. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface RunQueueOptions {
  queueUrl: string;
  handler: SqsHandler;
  /** Shown in the handler's context (and so in its Powertools log lines). */
  functionName?: string;
  /** Records per invocation, as the event source mapping's `BatchSize` (SQS returns at most 10 per receive). */
  batchSize?: number;
  /** How long to wait for the first message. The event source mapping long-polls 20 s; tests want less. */
  waitTimeSeconds?: number;
  /**
   * Make failed records visible again at once instead of after the queue's visibility timeout, so a test can watch a
   * poison message reach the dead-letter queue without waiting. Lambda itself waits for the timeout.
   */
  releaseFailed?: boolean;
  sqs?: SQSClient;
}

/** What one invocation did: which messages were deleted and which stay on the queue. */
export interface QueueRun {
  received: number;
  deleted: string[];
  failed: string[];
  /** The error the handler threw; the whole batch then stays on the queue, as with Lambda. */
  error?: unknown;
}

/**
 * Does what Lambda's SQS event source mapping does, once: receives a batch from a real queue, invokes the handler in
 * process with the `SQSEvent` built from the received messages, and deletes the records that succeeded. With
 * `ReportBatchItemFailures` (which Tidemark's stack enables), records listed in `batchItemFailures` are not deleted;
 * a thrown error, or a failure entry that names no record of the batch, fails the whole batch. Failed messages come
 * back after the visibility timeout, and the queue's redrive policy moves them to the DLQ past `maxReceiveCount`.
 *
 * @example
 * const run = await runQueueOnce({ queueUrl, handler, waitTimeSeconds: 2 });
 * expect(run.failed).toEqual([]);
 */
export async function runQueueOnce(options: RunQueueOptions): Promise<QueueRun> {
  const sqs = options.sqs ?? new SQSClient({});
  const queueArn = await arnOf(sqs, options.queueUrl);
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: options.queueUrl,
      MaxNumberOfMessages: Math.min(options.batchSize ?? 10, 10),
      WaitTimeSeconds: options.waitTimeSeconds ?? 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = received.Messages ?? [];
  if (messages.length === 0) return { received: 0, deleted: [], failed: [] };

  const event: SQSEvent = { Records: messages.map((m) => sqsRecordFromMessage(m, queueArn)) };
  const ids = event.Records.map((r) => r.messageId);
  let failed: Set<string>;
  let error: unknown;
  try {
    const response = (await options.handler(event, lambdaContext(options.functionName ?? 'local-function'))) as
      | Partial<SQSBatchResponse>
      | undefined;
    failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    if ([...failed].some((id) => !ids.includes(id))) failed = new Set(ids);
  } catch (e) {
    error = e;
    failed = new Set(ids);
  }

  const succeeded = event.Records.filter((r) => !failed.has(r.messageId));
  if (succeeded.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  const failedRecords = event.Records.filter((r) => failed.has(r.messageId));
  if (options.releaseFailed && failedRecords.length > 0) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: failedRecords.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
  }
  return {
    received: messages.length,
    deleted: succeeded.map((r) => r.messageId),
    failed: failedRecords.map((r) => r.messageId),
    ...(error !== undefined && { error }),
  };
}

/**
 * Runs {@link runQueueOnce} until a receive comes back empty or `maxBatches` invocations have run (a bound, so a
 * handler that keeps failing with `releaseFailed` cannot spin forever).
 */
export async function drainQueue(options: RunQueueOptions & { maxBatches?: number }): Promise<QueueRun[]> {
  const runs: QueueRun[] = [];
  for (let i = 0; i < (options.maxBatches ?? 20); i++) {
    const run = await runQueueOnce(options);
    if (run.received === 0) break;
    runs.push(run);
  }
  return runs;
}

async function arnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`${queueUrl}: the queue has no QueueArn attribute. Check that the URL names an SQS queue`);
  return arn;
}
