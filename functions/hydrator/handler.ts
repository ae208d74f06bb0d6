import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { alertChannels } from '../../adapters/alerts/alert-channels';
import type { ConfigRepo } from '../../adapters/config-repo/config-repo';
import { gitCredentialsOf, parseConfigRepoSecret } from '../../adapters/config-repo/credentials';
import { openConfigRepo } from '../../adapters/config-repo/open-config-repo';
import { CheckoutCache } from '../../adapters/git/checkout-cache';
import { RenderAlertStore } from '../../adapters/state/render-alert-store';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import { HydrateRequest } from '../../core/hydrate/hydrate-request';
import { functionEnv } from '../function-env';
import { hydratePush } from './hydrate-push';

// Built once per container: config validated here; the git cache, the checkouts and the renders found unchanged are
// reused between messages.
const logger = new Logger({ serviceName: 'hydrator' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'hydrator' });
const env = functionEnv();
const { configRepo } = env.config;
const sqs = new SQSClient({});
const checkouts = new CheckoutCache('/tmp/tidemark-hydrator', { keep: 2 });
const alertState = new RenderAlertStore(env.tableName, configRepo.url, new DynamoDBClient({}));
const channels = alertChannels({
  topicArn: env.alertsTopicArn,
  slackWebhookSecretName: env.config.alerts.slackWebhookSecretName,
});
const syncQueues = new Map(Object.entries(env.syncQueueUrls).map(([name, url]) => [name, new SyncQueue(url, sqs)]));
const unchangedRenders = new Map<string, string>();
let opened: Promise<{ repo: ConfigRepo; credentials: ReturnType<typeof gitCredentialsOf> }> | undefined;

function open() {
  opened ??= getSecret(configRepo.authSecretName, { maxAge: 300 }).then(async (secret) => ({
    repo: await openConfigRepo(configRepo, secret),
    credentials: gitCredentialsOf(parseConfigRepoSecret(configRepo, secret), configRepo),
  }));
  return opened.catch((e) => {
    opened = undefined; // a missing secret may be fixed; try again on the next message
    throw e;
  });
}

async function onRecord(record: SQSRecord): Promise<void> {
  const request = HydrateRequest.parse(JSON.parse(record.body)); // malformed: fails with its reason → DLQ
  logger.appendKeys({ kind: request.kind, deliveryId: request.deliveryId });
  if (request.kind === 'preview') {
    logger.warn('pull request previews are not handled by this hydrator yet', { number: request.number });
    return;
  }
  const { repo, credentials } = await open();
  const result = await hydratePush(request, {
    repo,
    repoUrl: configRepo.url,
    dryBranch: configRepo.branch,
    checkout: async (branch) => checkouts.fetch(configRepo.url, branch, await credentials()),
    clusters: env.config.clusters,
    syncQueues,
    unchangedRenders,
    alertState,
    channels,
    log: (message, details) => logger.info(message, details),
  });
  logger.info(`hydrate ${result.kind}`, { ...result });
  if (result.kind === 'hydrated') {
    for (const o of result.outcomes)
      metrics.singleMetric().addDimension('outcome', o.kind).addMetric('RenderTargets', MetricUnit.Count, 1);
    const pushed = Date.parse(request.pushedAt);
    if (result.outcomes.some((o) => o.kind === 'committed') && Number.isFinite(pushed)) {
      metrics.addMetric('PushToRenderedCommit', MetricUnit.Milliseconds, Date.now() - pushed);
    }
  }
}

/**
 * SQS FIFO batches of hydrate requests (one message group per config repo): a push renders and commits
 * (`hydrate-push.ts`); a malformed message fails with its reason and goes to the dead-letter queue. FIFO processing
 * stops at the first failure so a later push of the repo is never rendered before an earlier one is retried.
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  try {
    return await processPartialResponse(event, onRecord, new SqsFifoPartialProcessorAsync(), { context });
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
