import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { configRepoOnDemand } from '../../adapters/config-repo/open-config-repo';
import { describeImages } from '../../adapters/ecr/ecr-images';
import { ClaimLedger } from '../../adapters/state/claim-ledger';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import { functionEnv } from '../function-env';
import { catchUp, isSchedule } from './catch-up';
import { handleImageEvents, imageEventLedger, isImageEventBatch } from './image-events';
import { updateRecorder } from './record-update';
import { type UpdateImagesResult, updateImages } from './update-images';

// Built once per container: config validated here; clients, the secret cache and the git cache folder are reused.
const logger = new Logger({ serviceName: 'image-updater' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'image-updater' });
const record = updateRecorder(logger, metrics);
const env = functionEnv();
const secrets = new SecretsProvider();
const sqs = new SQSClient({});
const ledger = new ClaimLedger({ tableName: env.tableName, client: new DynamoDBClient({}), ...imageEventLedger });
const syncQueues = new Map(Object.entries(env.syncQueueUrls).map(([name, url]) => [name, new SyncQueue(url, sqs)]));
const configRepo = configRepoOnDemand(env.config.configRepo, () =>
  secrets.get(env.config.configRepo.authSecretName, { maxAge: 300 }),
);
const log = (message: string, details: Record<string, unknown>) => logger.info(message, details);
const deps = async () => ({
  repo: await configRepo(),
  clusters: env.config.clusters,
  syncQueues,
  imagesOf: describeImages,
  log,
});

/**
 * Two triggers, one function: SQS FIFO batches of EventBridge `ECR Image Action` events (one message group per config
 * repo, so writes to it are serialised), and a schedule that re-checks every policy against ECR to catch up missed
 * events.
 */
export async function handler(event: unknown, context: Context): Promise<SQSBatchResponse | UpdateImagesResult> {
  logger.addContext(context);
  try {
    if (isImageEventBatch(event)) {
      return await handleImageEvents(event, context, {
        ledger,
        record,
        update: async (p) => updateImages(p, await deps()),
      });
    }
    if (!isSchedule(event))
      throw new Error('unknown trigger: expected an SQS batch of ECR events or a scheduled event');
    return await catchUp(await deps(), record);
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
