import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SnsAlerts } from '../../adapters/alerts/sns-alerts';
import { parseConfigRepoSecret } from '../../adapters/config-repo/credentials';
import { configRepoOnDemand } from '../../adapters/config-repo/open-config-repo';
import { describeImages } from '../../adapters/ecr/ecr-images';
import { describeScanFindings } from '../../adapters/ecr/scan-findings';
import { WakeQueue } from '../../adapters/events/wake-queue';
import { GitHubGateStatuses } from '../../adapters/github/github-gate-statuses';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import { holdMessage } from '../../core/promotion/hold-message';
import { type PromotionRun, runPromotions } from '../../engine/promotion/promote';
import { functionEnv } from '../function-env';
import { handleTriggers, isSchedule } from './promoter-trigger';

// Built once per container: config validated here; clients, the secret cache and the git cache folder are reused.
const logger = new Logger({ serviceName: 'promoter' });
const env = functionEnv();
const { configRepo: settings, clusters } = env.config;
const secrets = new SecretsProvider();
const secret = () => secrets.get(settings.authSecretName, { maxAge: 300 });
const sqs = new SQSClient({});
const items = new VersionedItems(env.tableName, new DynamoDBClient({}));
const repo = configRepoOnDemand(settings, secret);
const wakeQueue = env.promoterQueueUrl ? new WakeQueue(env.promoterQueueUrl, items, sqs) : undefined;
const syncQueues = new Map(Object.entries(env.syncQueueUrls).map(([name, url]) => [name, new SyncQueue(url, sqs)]));
const gateStatuses = async () =>
  settings.provider === 'github'
    ? new GitHubGateStatuses({ repoUrl: settings.url, credentials: parseConfigRepoSecret(settings, await secret()) })
    : undefined;
const log = (message: string, details: Record<string, unknown>) => logger.info(message, details);
const alerts = env.alertsTopicArn ? new SnsAlerts(env.alertsTopicArn) : undefined;

async function run(scheduled = false): Promise<PromotionRun> {
  const now = () => new Date();
  const deps = {
    repo: await repo(),
    items,
    now,
    clusters,
    syncQueues,
    log,
    imagesOf: describeImages,
    waitUpToMs: 1500,
    catchUpEvidence: scheduled,
  };
  return runPromotions({
    ...deps,
    describeScan: describeScanFindings,
    gateStatuses: await gateStatuses(),
    wake: (at) => wakeQueue?.wakeAt(at) ?? Promise.resolve(),
    announce: async (hold) => {
      await alerts?.publish(holdMessage(hold));
    },
  });
}

/** Three triggers: SQS batches of `Tidemark Deployment` / `ECR Image Scan` events and wake-ups, and a schedule. */
export async function handler(event: unknown, context: Context): Promise<SQSBatchResponse | PromotionRun> {
  logger.addContext(context);
  try {
    if (isSchedule(event)) return await run(true);
    const warn = (message: string, details: Record<string, unknown>) => logger.warn(message, details);
    return await handleTriggers(event as SQSEvent, context, { items, run: () => run(), now: () => new Date(), warn });
  } finally {
    logger.resetKeys();
  }
}
