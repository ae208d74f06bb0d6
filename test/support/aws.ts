import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

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
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as SnsEnvelope);
}
