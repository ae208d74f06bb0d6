import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { parseWebhookSecret } from '../../adapters/config-repo/credentials';
import { HydrateQueue } from '../../adapters/hydrate-queue/hydrate-queue';
import { ClaimLedger } from '../../adapters/state/claim-ledger';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import { functionEnv } from '../function-env';
import { deliveryLedger, pushLedger, receiveWebhook, responseFor } from './receive-webhook';

// Built once per container: config is validated here, clients and the secret cache are reused across deliveries.
const logger = new Logger({ serviceName: 'webhook' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'webhook' });
const env = functionEnv();
// GitHub waits 10 seconds for an answer. Bounded attempts and timeouts make a stalled AWS call end in a 500 that
// GitHub records (and that can be redelivered) instead of a silent timeout; worst case is about 2 × 3 s per call.
const awsClient = { maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 } };
const secrets = new SecretsProvider({ clientConfig: awsClient });
const dynamodb = new DynamoDBClient(awsClient);
const sqs = new SQSClient(awsClient);
const deps = {
  config: env.config,
  // Cached for 5 minutes: a rotated secret is picked up within that, and a flood of forged requests cannot turn
  // into a flood of Secrets Manager calls.
  webhookSecret: async () =>
    parseWebhookSecret(
      env.config.webhook.secretName,
      await secrets.get(env.config.webhook.secretName, { maxAge: 300 }),
    ),
  deliveries: new ClaimLedger({ tableName: env.tableName, client: dynamodb, ...deliveryLedger }),
  pushes: new ClaimLedger({ tableName: env.tableName, client: dynamodb, ...pushLedger }),
  syncQueues: new Map(Object.entries(env.syncQueueUrls).map(([cluster, url]) => [cluster, new SyncQueue(url, sqs)])),
  ...(env.hydrateQueueUrl ? { hydrateQueue: new HydrateQueue(env.hydrateQueueUrl, sqs) } : {}),
};

/** Lambda Function URL handler for GitHub and GitLab push webhooks (see `receive-webhook.ts` for the rules). */
export async function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  logger.addContext(context);
  logger.appendKeys({ deliveryId: event.headers?.['x-github-delivery'] ?? event.headers?.['x-gitlab-event-uuid'] });
  try {
    const outcome = await receiveWebhook(event, {
      ...deps,
      remainingTimeInMillis: () => context.getRemainingTimeInMillis(),
    });
    const { kind, ...details } = outcome;
    logger.info(`webhook ${kind}`, { outcome: kind, ...details });
    metrics.singleMetric().addDimension('outcome', kind).addMetric('WebhookDeliveries', MetricUnit.Count, 1);
    return { ...responseFor(outcome), headers: { 'content-type': 'application/json' } };
  } catch (e) {
    // Only AWS failures reach here (bad input is an outcome); a 5xx tells GitHub to show the delivery as failed.
    logger.error('webhook failed', e as Error);
    metrics.singleMetric().addDimension('outcome', 'error').addMetric('WebhookDeliveries', MetricUnit.Count, 1);
    return {
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'the delivery could not be processed; redeliver it later' }),
    };
  } finally {
    logger.resetKeys();
  }
}
