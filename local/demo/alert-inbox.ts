import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalEnvironment } from '../environment';
import { queueArn } from '../queue-with-dlq';

/** An alert as an SNS subscriber sees it: subject, message and the `kind` attribute used by subscription filters. */
export interface ReceivedAlert {
  kind: string;
  subject: string;
  message: string;
}

/**
 * An SQS queue of the demo's own, subscribed to the alerts topic with a filter on the `cluster` message attribute, as
 * an on-call tool would subscribe: other runs and tests publish to the same topic, and their alerts must not be taken
 * for this run's.
 */
export class AlertInbox {
  private readonly seen = new Set<string>();
  private constructor(
    readonly queueUrl: string,
    private readonly subscriptionArn: string,
  ) {}

  static async subscribe(topicArn: string, cluster: string): Promise<AlertInbox> {
    const sqs = new SQSClient({});
    const name = `tidemark-demo-alerts-${Date.now().toString(36)}`;
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    const subscription = await new SNSClient({}).send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: await queueArn(sqs, queueUrl),
        Attributes: { FilterPolicy: JSON.stringify({ cluster: [cluster] }) },
        ReturnSubscriptionArn: true,
      }),
    );
    return new AlertInbox(queueUrl, subscription.SubscriptionArn!);
  }

  /** Alerts delivered since the last call (each once: SQS may deliver a message twice). */
  async receive(waitSeconds = 1): Promise<ReceivedAlert[]> {
    const sqs = new SQSClient({});
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
    );
    const messages = out.Messages ?? [];
    if (messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
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
      if (this.seen.has(envelope.MessageId)) continue;
      this.seen.add(envelope.MessageId);
      alerts.push({
        kind: envelope.MessageAttributes?.kind?.Value ?? 'unknown',
        subject: envelope.Subject ?? '',
        message: envelope.Message,
      });
    }
    return alerts;
  }

  async close(): Promise<void> {
    await new SNSClient({}).send(new UnsubscribeCommand({ SubscriptionArn: this.subscriptionArn })).catch(() => {});
    await new SQSClient({}).send(new DeleteQueueCommand({ QueueUrl: this.queueUrl })).catch(() => {});
  }
}

/** What the local Slack receiver got on `path`, oldest first. */
export async function slackMessages(
  env: LocalEnvironment,
  path: string,
): Promise<{ text?: string; blocks?: unknown[] }[]> {
  const res = await fetch(`${env.slack.controlUrl}/messages?path=${encodeURIComponent(path)}`);
  const messages = (await res.json()) as { body: { text?: string; blocks?: unknown[] } }[];
  return messages.map((m) => m.body);
}
