import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalEnvironment } from '../environment';

/** An alert as an SNS subscriber sees it: subject, message and the `kind` attribute used by subscription filters. */
export interface ReceivedAlert {
  kind: string;
  subject: string;
  message: string;
}

/**
 * Reads (and removes) what SNS delivered to the alerts inbox, the SQS queue `tidemark local up` subscribes to the alerts
 * topic. `seen` holds SNS message ids already returned, since SQS may deliver one twice.
 */
export async function receiveAlerts(
  env: LocalEnvironment,
  seen: Set<string>,
  waitSeconds = 1,
): Promise<ReceivedAlert[]> {
  const sqs = new SQSClient({});
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: env.resources.alertsInboxQueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
    }),
  );
  const messages = out.Messages ?? [];
  if (messages.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: env.resources.alertsInboxQueueUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  const alerts: ReceivedAlert[] = [];
  for (const m of messages) {
    const envelope = JSON.parse(m.Body ?? '{}') as {
      MessageId: string;
      Subject?: string;
      Message: string;
      MessageAttributes?: Record<string, { Value: string }>;
    };
    if (seen.has(envelope.MessageId)) continue;
    seen.add(envelope.MessageId);
    alerts.push({
      kind: envelope.MessageAttributes?.kind?.Value ?? 'unknown',
      subject: envelope.Subject ?? '',
      message: envelope.Message,
    });
  }
  return alerts;
}

/** What the local Slack receiver got, oldest first. */
export async function slackMessages(env: LocalEnvironment): Promise<{ text?: string; blocks?: unknown[] }[]> {
  const res = await fetch(`${env.slack.controlUrl}/messages`);
  const messages = (await res.json()) as { body: { text?: string; blocks?: unknown[] } }[];
  return messages.map((m) => m.body);
}
