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
import { GitHubPreview } from '../../adapters/github/pull-request-preview';
import { ConfiguredClusters } from '../../adapters/kubernetes/eks-cluster';
import { RenderAlertStore } from '../../adapters/state/render-alert-store';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import { HydrateRequest } from '../../core/hydrate/hydrate-request';
import { liveChangesIn } from '../../engine/hydrate/live-preview';
import { functionEnv } from '../function-env';
import { hydratePush } from './hydrate-push';
import { previewPullRequest } from './preview-pull-request';

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
let opened:
  | Promise<{ repo: ConfigRepo; credentials: ReturnType<typeof gitCredentialsOf>; github: GitHubPreview | undefined }>
  | undefined;
const clusters = new ConfiguredClusters();
/** A Sync's default (core/sync/sync.ts): the preview judges a prune as the agent would. */
const defaultMaxPrunePercent = 20;

function open() {
  opened ??= getSecret(configRepo.authSecretName, { maxAge: 300 }).then(async (secret) => ({
    repo: await openConfigRepo(configRepo, secret),
    credentials: gitCredentialsOf(parseConfigRepoSecret(configRepo, secret), configRepo),
    github:
      configRepo.provider === 'github'
        ? new GitHubPreview({ repoUrl: configRepo.url, credentials: parseConfigRepoSecret(configRepo, secret) })
        : undefined,
  }));
  return opened.catch((e) => {
    opened = undefined; // a missing secret may be fixed; try again on the next message
    throw e;
  });
}

async function onRecord(record: SQSRecord): Promise<void> {
  const request = HydrateRequest.parse(JSON.parse(record.body)); // malformed: fails with its reason → DLQ
  logger.appendKeys({ kind: request.kind, deliveryId: request.deliveryId });
  const { repo, credentials, github } = await open();
  if (request.kind === 'preview') {
    if (!github) {
      logger.warn('pull request previews need a GitHub config repo; nothing posted', { number: request.number });
      return;
    }
    const started = Date.now();
    const outcome = await previewPullRequest(request, {
      checkout: async (branch) => checkouts.fetch(configRepo.url, branch, await credentials()),
      github,
      dryBranch: configRepo.branch,
      clusters: env.config.clusters,
      readBranch: async (branch) => (await repo.read(['.'], branch))?.files ?? new Map(),
      // The drift scanner's read-only access (its EKS access entry, granted to this function too).
      liveChanges: async (cluster, dir, extraKinds) => {
        const config = env.config.clusters.find((c) => c.name === cluster.name)!;
        const client = await clusters.connect(config);
        // The Sync the agent applies the cluster's folder as (the scanner's default when it finds none by path).
        const sync = { namespace: config.agentNamespace, name: config.name };
        return liveChangesIn(client, {
          dir,
          sync,
          cluster: cluster.name,
          maxPrunePercent: defaultMaxPrunePercent,
          extraKinds,
        });
      },
    });
    logger.info(`preview ${outcome.kind}`, { number: request.number, ...outcome });
    metrics.addMetric('PreviewLatency', MetricUnit.Milliseconds, Date.now() - started);
    return;
  }
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
 * (`hydrate-push.ts`), a pull request is previewed on GitHub (`preview-pull-request.ts`); a malformed message fails with its reason and goes to the dead-letter queue. FIFO processing
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
