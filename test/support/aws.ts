import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

/**
 * Reads what SNS delivered to an SQS queue subscribed to a topic (the alerts inbox): the SNS envelope of each message,
 * so tests see Subject, Message and MessageAttributes as a subscriber would.
 */
export interface SnsEnvelope {
  Subject?: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export async function receiveSnsMessages(queueUrl: string, waitSeconds = 2): Promise<SnsEnvelope[]> {
  const sqs = new SQSClient({});
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
  );
  const messages = out.Messages ?? [];
  // Deleted once read: the inbox takes every alert of every run (the notifier's deployment messages too), and a
  // backlog left behind keeps coming back after each visibility timeout, ahead of the message a test is looking for.
  if (messages.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return messages.map((m) => JSON.parse(m.Body ?? '{}') as SnsEnvelope);
}
