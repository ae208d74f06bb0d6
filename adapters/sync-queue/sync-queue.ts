import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SyncRequest } from './sync-request';

/** One message taken from the queue: either a valid {@link SyncRequest} or the reason it is not one. */
export type ReceivedSyncRequest =
  | { kind: 'request'; request: SyncRequest; receipt: Receipt }
  | { kind: 'malformed'; reason: string; body: string; receipt: Receipt };

/** What is needed to delete a received message or change its visibility. */
export interface Receipt {
  messageId: string;
  receiptHandle: string;
  /** `ApproximateReceiveCount`: 1 the first time; the queue's redrive policy moves it to the DLQ past maxReceiveCount. */
  receiveCount: number;
}

export interface ReceiveOptions {
  /** Long-poll wait: SQS's maximum of 20 s keeps an idle agent at three requests a minute. */
  waitTimeSeconds?: number;
  /** Up to 10 (SQS's limit): a burst of pushes arrives in one batch and becomes one reconcile. */
  maxMessages?: number;
  /** How long received messages stay hidden; it must outlast a reconcile, or another receive sees them again. */
  visibilityTimeoutSeconds?: number;
  abortSignal?: AbortSignal;
}

/**
 * A cluster's sync queue (SQS). The sender side is used by the webhook Lambda and the image updater; the receiver side
 * by the in-cluster agent, which deletes a message only after the reconcile it caused has finished (at-least-once).
 *
 * @example
 * const queue = new SyncQueue(process.env.SYNC_QUEUE_URL!);
 * await queue.send({ repo, branch: 'main', revision: sha, pushedAt: new Date().toISOString(), deliveryId: `image-updater:${sha}` });
 */
export class SyncQueue {
  constructor(
    readonly url: string,
    private readonly sqs: SQSClient = new SQSClient({}),
  ) {}

  /** Whether the queue is FIFO (its URL ends in `.fifo`), which needs a message group and a deduplication id. */
  get fifo(): boolean {
    return this.url.endsWith('.fifo');
  }

  /** Sends one request. On a FIFO queue, a redelivered event (same deliveryId) within 5 minutes is dropped by SQS. */
  async send(request: SyncRequest): Promise<{ messageId: string }> {
    const body = JSON.stringify(SyncRequest.parse(request));
    const out = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: body,
        MessageAttributes: {
          repo: { DataType: 'String', StringValue: request.repo },
          branch: { DataType: 'String', StringValue: request.branch },
        },
        ...(this.fifo && {
          // One group per repo and branch keeps pushes to one branch in order; the id is hashed because SQS allows
          // only 128 characters of [A-Za-z0-9!-~] and delivery ids come from outside.
          MessageGroupId: digest(`${request.repo}#${request.branch}`),
          MessageDeduplicationId: digest(`${request.deliveryId}#${request.revision}`),
        }),
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }

  /** Long-polls once and returns what arrived (possibly nothing), each message parsed or explained as malformed. */
  async receive(options: ReceiveOptions = {}): Promise<ReceivedSyncRequest[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        WaitTimeSeconds: options.waitTimeSeconds ?? 20,
        MaxNumberOfMessages: options.maxMessages ?? 10,
        VisibilityTimeout: options.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
      { abortSignal: options.abortSignal },
    );
    return (out.Messages ?? []).map(parseMessage);
  }

  /** Deletes received messages; returns the ids SQS failed to delete (they will be received again). */
  async delete(receipts: readonly Receipt[]): Promise<string[]> {
    const failed: string[] = [];
    for (let i = 0; i < receipts.length; i += 10) {
      const chunk = receipts.slice(i, i + 10);
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.url,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const f of out.Failed ?? []) failed.push(chunk[Number(f.Id)]?.messageId ?? String(f.Id));
    }
    return failed;
  }

  /**
   * Changes how long a received message stays hidden: extend it while a long reconcile runs, or set 0 to hand it back
   * at once so the next receive retries it (and counts toward maxReceiveCount).
   */
  async setVisibility(receipt: Receipt, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.url,
        ReceiptHandle: receipt.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function parseMessage(message: Message): ReceivedSyncRequest {
  const receipt: Receipt = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
  };
  const body = message.Body ?? '';
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'malformed', reason: 'body is not JSON', body, receipt };
  }
  const parsed = SyncRequest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'malformed', reason: `${issue.path.join('.') || 'body'}: ${issue.message}`, body, receipt };
  }
  return { kind: 'request', request: parsed.data, receipt };
}
