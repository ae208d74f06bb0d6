import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SlackWebhook } from '../../adapters/alerts/slack-webhook';
import { SnsAlerts } from '../../adapters/alerts/sns-alerts';
import { parseConfigRepoSecret } from '../../adapters/config-repo/credentials';
import { EventBridgeDeployments } from '../../adapters/events/eventbridge-deployments';
import { FlushQueue, StormFlush } from '../../adapters/events/flush-queue';
import { GitHubDeployments } from '../../adapters/github/github-deployments';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { MalformedDeploymentEvent, parseDeploymentEvent, syncName } from '../../core/notify/deployment-event';
import { functionEnv } from '../function-env';
import { type NotifierDeps, notifyEvent, notifyFlush } from './notify';

// Built once per container: config validated here; clients, Slack webhooks and the GitHub client are reused.
const logger = new Logger({ serviceName: 'notifier' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'notifier' });
const env = functionEnv();
const { notifications, configRepo, alerts } = env.config;
const sqs = new SQSClient({});
const slackWebhooks = new Map<string, SlackWebhook>();
let github: Promise<GitHubDeployments> | undefined;

if (!env.flushQueueUrl) {
  throw new Error(
    'TIDEMARK_FLUSH_QUEUE_URL: is not set. The CDK stack sets it to the notifier flush queue; export it when running the handler locally',
  );
}

const deps: NotifierDeps = {
  items: new VersionedItems(env.tableName, new DynamoDBClient({})),
  settings: notifications,
  alertsSlackSecret: alerts.slackWebhookSecretName,
  // A Lambda must not sleep long on Slack's Retry-After: the message is retried from the queue instead.
  slack: (secret) => {
    let webhook = slackWebhooks.get(secret);
    if (!webhook) {
      webhook = SlackWebhook.fromSecret(secret, { maxAttempts: 3, maxDelayMs: 5_000 });
      slackWebhooks.set(secret, webhook);
    }
    return webhook;
  },
  sns: env.alertsTopicArn ? new SnsAlerts(env.alertsTopicArn) : undefined,
  github:
    configRepo.provider === 'github' && (notifications.github.commitStatuses || notifications.github.deployments)
      ? {
          ...notifications.github,
          setCommitStatus: async (...args) => (await gitHub()).setCommitStatus(...args),
          deploymentFor: async (...args) => (await gitHub()).deploymentFor(...args),
          setDeploymentState: async (...args) => (await gitHub()).setDeploymentState(...args),
        }
      : undefined,
  eventBridge: notifications.eventBridge ? new EventBridgeDeployments() : undefined,
  flushes: new FlushQueue(env.flushQueueUrl, sqs),
  now: () => new Date(),
};

/** The GitHub client, with the config repo's credentials read once per container (and again after a failure). */
function gitHub(): Promise<GitHubDeployments> {
  github ??= getSecret(configRepo.authSecretName, { maxAge: 300 }).then(
    (secret) =>
      new GitHubDeployments({ repoUrl: configRepo.url, credentials: parseConfigRepoSecret(configRepo, secret) }),
  );
  github.catch(() => {
    github = undefined;
  });
  return github;
}

/**
 * Two sources, one function: the clusters' events queues (FIFO, one message group per Sync, so a Sync's events are
 * handled in order; a failure holds back only its own Sync's later events) and the flush queue (standard, delayed
 * messages that say a folded message is due).
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  try {
    if (event.Records[0]?.eventSourceARN.endsWith('.fifo')) {
      return await processPartialResponse(event, onDeploymentEvent, new SqsFifoPartialProcessorAsync(), {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      });
    }
    return await processPartialResponse(event, onFlush, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}

async function onDeploymentEvent(record: SQSRecord): Promise<void> {
  let event: ReturnType<typeof parseDeploymentEvent>;
  try {
    event = parseDeploymentEvent(record.body);
  } catch (error) {
    if (!(error instanceof MalformedDeploymentEvent)) throw error;
    await reject(record, error.message);
    return;
  }
  logger.appendKeys({ cluster: event.cluster, sync: syncName(event.sync), kind: event.kind, eventId: event.id });
  try {
    const result = await notifyEvent(event, deps);
    count(result.transitions.length > 0 ? 'transition' : 'repeat');
    for (const channel of result.delivered) count('delivered', { channel: channel.split(':')[0]! });
    if (result.transitions.includes('deployed')) {
      metrics.addMetric('EventToNotificationLatency', MetricUnit.Milliseconds, Date.now() - Date.parse(event.at));
    }
    logger.info('deployment event', { transitions: result.transitions, delivered: result.delivered });
  } catch (error) {
    count('failed');
    logger.error('deployment event not fully delivered; it will be retried', error as Error);
    throw error;
  }
}

async function onFlush(record: SQSRecord): Promise<void> {
  const parsed = StormFlush.safeParse(JSON.parse(record.body));
  if (!parsed.success) throw new Error(`not a storm flush: ${parsed.error.issues[0]?.message}`);
  try {
    const result = await notifyFlush(parsed.data, deps);
    count('flushed');
    for (const channel of result.delivered) count('delivered', { channel: channel.split(':')[0]! });
    if (result.delivered.length > 0)
      logger.info('folded message sent', { stormId: parsed.data.stormId, delivered: result.delivered });
  } catch (error) {
    count('failed');
    logger.error('folded message not fully delivered; it will be retried', error as Error);
    throw error;
  }
}

/**
 * A message that is not a deployment event can never succeed; retrying it would hold back its Sync's later events for
 * minutes. It goes straight to the dead-letter queue with the reason as a message attribute, and is logged.
 */
async function reject(record: SQSRecord, reason: string): Promise<void> {
  count('malformed');
  logger.warn('rejected a malformed deployment event', { messageId: record.messageId, reason });
  if (!env.eventsDlqUrl) throw new Error(`${reason} (and TIDEMARK_EVENTS_DLQ_URL is not set, so SQS redrives it)`);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: env.eventsDlqUrl,
      MessageBody: record.body,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: reason.slice(0, 1000) },
        source: { DataType: 'String', StringValue: record.eventSourceARN },
      },
      ...(env.eventsDlqUrl.endsWith('.fifo') && {
        MessageGroupId: 'malformed',
        MessageDeduplicationId: record.messageId,
      }),
    }),
  );
}

function count(outcome: string, dimensions: Record<string, string> = {}): void {
  const metric = metrics.singleMetric();
  metric.addDimension('outcome', outcome);
  for (const [name, value] of Object.entries(dimensions)) metric.addDimension(name, value);
  metric.addMetric('DeploymentEvents', MetricUnit.Count, 1);
}
