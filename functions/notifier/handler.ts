import {
  BatchProcessor,
  EventType,
  processPartialResponse,
  SqsFifoPartialProcessorAsync,
} from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { functionEnv } from '../function-env';
import { notifierDeps } from './notifier-deps';
import { onDeploymentEvent, onFlush, type RecordContext } from './records';

// Built once per container: config validated here; clients, Slack webhooks and the GitHub client are reused.
const logger = new Logger({ serviceName: 'notifier' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'notifier' });
const env = functionEnv();
const sqs = new SQSClient({});
const records: RecordContext = { deps: notifierDeps(env, sqs), logger, metrics, sqs, eventsDlqUrl: env.eventsDlqUrl };

/**
 * Two sources, one function: the clusters' events queues (FIFO, one message group per Sync, so a Sync's events are
 * handled in order; a failure holds back only its own Sync's later events) and the flush queue (standard, delayed
 * messages that say a folded message is due).
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  try {
    if (event.Records[0]?.eventSourceARN.endsWith('.fifo')) {
      const each = (record: SQSRecord) => onDeploymentEvent(record, records);
      return await processPartialResponse(event, each, new SqsFifoPartialProcessorAsync(), {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      });
    }
    const flush = (record: SQSRecord) => onFlush(record, records);
    return await processPartialResponse(event, flush, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
