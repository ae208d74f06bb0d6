import { createHash, randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export interface QueuedMessage {
  body: string;
  /** String message attributes (`MessageAttributes`). */
  attributes?: Record<string, string>;
  /** FIFO queues only: the group, which Lambda processes in order. */
  messageGroupId?: string;
  /** FIFO queues only; defaults to the SHA-256 of the body, as content-based deduplication computes it. */
  messageDeduplicationId?: string;
  /** `ApproximateReceiveCount`: more than 1 on a redelivery. */
  receiveCount?: number;
}

/**
 * An `SQSEvent` as Lambda's event source mapping delivers it, built from message bodies. The queue is FIFO when its
 * ARN ends in `.fifo`; its records then carry `MessageGroupId`, `MessageDeduplicationId` and `SequenceNumber`.
 * To build records from messages actually received from a queue, use {@link sqsRecordFromMessage}.
 */
export function sqsEvent(messages: readonly QueuedMessage[], queueArn: string): SQSEvent {
  const fifo = queueArn.endsWith('.fifo');
  const now = Date.now();
  return {
    Records: messages.map((m, i): SQSRecord => {
      const messageAttributes: SQSMessageAttributes = {};
      for (const [name, value] of Object.entries(m.attributes ?? {})) {
        messageAttributes[name] = {
          dataType: 'String',
          stringValue: value,
          stringListValues: [],
          binaryListValues: [],
        };
      }
      return {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount ?? 1),
          SentTimestamp: String(now),
          SenderId: 'AIDAIENQZJOLO23YVJ4VO',
          ApproximateFirstReceiveTimestamp: String(now),
          ...(fifo && {
            MessageGroupId: m.messageGroupId ?? 'default',
            MessageDeduplicationId: m.messageDeduplicationId ?? sha256(m.body),
            SequenceNumber: String(18849496460467696128n + BigInt(i)),
          }),
        },
        messageAttributes,
        md5OfBody: createHash('md5').update(m.body).digest('hex'),
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: regionOf(queueArn),
      };
    }),
  };
}

/**
 * The Lambda record for a message received with the SDK (`MessageSystemAttributeNames: ['All']`,
 * `MessageAttributeNames: ['All']`), so that a handler run by {@link runQueue} sees the queue's real ids, receipt
 * handles, receive counts and FIFO attributes.
 */
export function sqsRecordFromMessage(message: Message, queueArn: string): SQSRecord {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  const a = message.Attributes ?? {};
  const body = message.Body ?? '';
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(a.MessageGroupId && { MessageGroupId: a.MessageGroupId }),
      ...(a.MessageDeduplicationId && { MessageDeduplicationId: a.MessageDeduplicationId }),
      ...(a.SequenceNumber && { SequenceNumber: a.SequenceNumber }),
      ...(a.AWSTraceHeader && { AWSTraceHeader: a.AWSTraceHeader }),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    ...(message.MD5OfMessageAttributes && { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: regionOf(queueArn),
  };
}

function regionOf(arn: string): string {
  return arn.split(':')[3] || (process.env.AWS_REGION ?? 'us-east-1');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
