import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { deploymentDetailType, deploymentEventSource } from '../../adapters/events/eventbridge-deployments';
import type { DeploymentEvent } from '../../core/notify/deployment-event';
import { queueArn } from '../../local/queue-with-dlq';
import { localEnv } from '../../test/support/local-env';

/**
 * What one test cluster's notifications reach, on the local environment, seen as a subscriber sees them: a Slack
 * webhook path of its own on the shared receiver (with the secret naming it), an SQS queue subscribed to the alerts
 * topic with a filter on `cluster`, and an EventBridge rule on the default bus for `Tidemark Deployment` events of
 * that cluster into a queue of its own. Other tests and the demo share the receiver, the topic and the bus.
 */
export async function testChannels(cluster: string) {
  const sqs = new SQSClient({});
  const slackPath = `/services/T000TEST/B000NOTIFY/${cluster}-${randomUUID().slice(0, 8)}`;
  const slackSecret = `tidemark/test-notifier-${cluster}-${randomUUID().slice(0, 8)}`;
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: slackSecret, SecretString: `${localEnv().slack.controlUrl}${slackPath}` }),
  );
  const snsQueue = (await sqs.send(new CreateQueueCommand({ QueueName: `notify-sns-${cluster}` }))).QueueUrl!;
  await new SNSClient({}).send(
    new SubscribeCommand({
      TopicArn: localEnv().resources.alertsTopicArn,
      Protocol: 'sqs',
      Endpoint: await queueArn(sqs, snsQueue),
      Attributes: { FilterPolicy: JSON.stringify({ cluster: [cluster] }) },
    }),
  );
  const busQueue = (await sqs.send(new CreateQueueCommand({ QueueName: `notify-bus-${cluster}` }))).QueueUrl!;
  const events = new EventBridgeClient({});
  await events.send(
    new PutRuleCommand({
      Name: `notify-${cluster}`,
      EventPattern: JSON.stringify({
        source: [deploymentEventSource],
        'detail-type': [deploymentDetailType],
        detail: { cluster: [cluster] },
      }),
    }),
  );
  await events.send(
    new PutTargetsCommand({ Rule: `notify-${cluster}`, Targets: [{ Id: 'q', Arn: await queueArn(sqs, busQueue) }] }),
  );

  const sns: { subject: string; message: string; kind: string }[] = [];
  const bus: DeploymentEvent[] = [];
  const drain = async (url: string, take: (body: string) => void) => {
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (!out.Messages?.length) return;
      for (const m of out.Messages) {
        take(m.Body ?? '{}');
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  };
  const seen = new Set<string>();
  return {
    slackSecret,
    slackPath,
    /** What the Slack webhook received, oldest first. */
    async slack(): Promise<{ text: string; blocks: unknown[] }[]> {
      const url = `${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`;
      return ((await (await fetch(url)).json()) as { body: { text: string; blocks: unknown[] } }[]).map((m) => m.body);
    },
    /** Makes the Slack webhook answer `status` to the next `times` posts. */
    async failSlack(status: number, times: number): Promise<void> {
      await fetch(`${localEnv().slack.controlUrl}/fail`, {
        method: 'POST',
        body: JSON.stringify({ status, times, path: slackPath }),
      });
    },
    /** Every SNS message so far (each once: SQS may deliver one twice, SNS's MessageId tells). */
    async sns() {
      await drain(snsQueue, (body) => {
        const envelope = JSON.parse(body) as {
          MessageId: string;
          Subject: string;
          Message: string;
          MessageAttributes: Record<string, { Value: string }>;
        };
        if (seen.has(envelope.MessageId)) return;
        seen.add(envelope.MessageId);
        sns.push({
          subject: envelope.Subject,
          message: envelope.Message,
          kind: envelope.MessageAttributes.kind!.Value,
        });
      });
      return sns;
    },
    /** Every `Tidemark Deployment` event of the cluster on the default bus so far, as its `detail`. */
    async bus() {
      await drain(busQueue, (body) => {
        bus.push((JSON.parse(body) as { detail: DeploymentEvent }).detail);
      });
      return bus;
    },
  };
}
