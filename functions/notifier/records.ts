import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { StormFlush } from '../../adapters/events/flush-queue';
import { MalformedDeploymentEvent, parseDeploymentEvent, syncName } from '../../core/notify/deployment-event';
import { type NotifierDeps, notifyEvent, notifyFlush } from './notify';

/** What handling one SQS record needs besides the notifier's own adapters. */
export interface RecordContext {
  deps: NotifierDeps;
  logger: Logger;
  metrics: Metrics;
  sqs: SQSClient;
  /** The events dead-letter queue: a malformed message goes there at once, with its reason. */
  eventsDlqUrl?: string;
}

/** One message of a cluster's events queue: a deployment event, notified on every channel it asks for. */
export async function onDeploymentEvent(record: SQSRecord, context: RecordContext): Promise<void> {
  const { logger, metrics } = context;
  let event: ReturnType<typeof parseDeploymentEvent>;
  try {
    event = parseDeploymentEvent(record.body);
  } catch (error) {
    if (!(error instanceof MalformedDeploymentEvent)) throw error;
    await reject(record, error.message, context);
    return;
  }
  logger.appendKeys({ cluster: event.cluster, sync: syncName(event.sync), kind: event.kind, eventId: event.id });
  try {
    const result = await notifyEvent(event, context.deps);
    count(metrics, result.transitions.length > 0 ? 'transition' : 'repeat');
    for (const channel of result.delivered) count(metrics, 'delivered', { channel: channel.split(':')[0]! });
    if (result.transitions.includes('deployed')) {
      metrics.addMetric('EventToNotificationLatency', MetricUnit.Milliseconds, Date.now() - Date.parse(event.at));
    }
    logger.info('deployment event', { transitions: result.transitions, delivered: result.delivered });
  } catch (error) {
    count(metrics, 'failed');
    logger.error('deployment event not fully delivered; it will be retried', error as Error);
    throw error;
  }
}

/** One message of the flush queue: a folded message (a storm of events) is due. */
export async function onFlush(record: SQSRecord, context: RecordContext): Promise<void> {
  const { logger, metrics } = context;
  const parsed = StormFlush.safeParse(JSON.parse(record.body));
  if (!parsed.success) throw new Error(`not a storm flush: ${parsed.error.issues[0]?.message}`);
  try {
    const result = await notifyFlush(parsed.data, context.deps);
    count(metrics, 'flushed');
    for (const channel of result.delivered) count(metrics, 'delivered', { channel: channel.split(':')[0]! });
    if (result.delivered.length > 0)
      logger.info('folded message sent', { stormId: parsed.data.stormId, delivered: result.delivered });
  } catch (error) {
    count(metrics, 'failed');
    logger.error('folded message not fully delivered; it will be retried', error as Error);
    throw error;
  }
}

/**
 * A message that is not a deployment event can never succeed; retrying it would hold back its Sync's later events for
 * minutes. It goes straight to the dead-letter queue with the reason as a message attribute, and is logged.
 */
async function reject(record: SQSRecord, reason: string, { logger, metrics, sqs, eventsDlqUrl }: RecordContext) {
  count(metrics, 'malformed');
  logger.warn('rejected a malformed deployment event', { messageId: record.messageId, reason });
  if (!eventsDlqUrl) throw new Error(`${reason} (and TIDEMARK_EVENTS_DLQ_URL is not set, so SQS redrives it)`);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: eventsDlqUrl,
      MessageBody: record.body,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: reason.slice(0, 1000) },
        source: { DataType: 'String', StringValue: record.eventSourceARN },
      },
      ...(eventsDlqUrl.endsWith('.fifo') && { MessageGroupId: 'malformed', MessageDeduplicationId: record.messageId }),
    }),
  );
}

function count(metrics: Metrics, outcome: string, dimensions: Record<string, string> = {}): void {
  const metric = metrics.singleMetric();
  metric.addDimension('outcome', outcome);
  for (const [name, value] of Object.entries(dimensions)) metric.addDimension(name, value);
  metric.addMetric('DeploymentEvents', MetricUnit.Count, 1);
}
