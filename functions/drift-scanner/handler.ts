import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { SlackWebhook } from '../../adapters/alerts/slack-webhook';
import { SnsAlerts } from '../../adapters/alerts/sns-alerts';
import { gitCredentialsOf, parseConfigRepoSecret } from '../../adapters/config-repo/credentials';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { EksClusters } from '../../adapters/kubernetes/eks-cluster';
import { AlertStateStore } from '../../adapters/state/alert-state-store';
import { DynamoDbDriftCache } from '../../adapters/state/dynamodb-drift-cache';
import { renderSlackMessage } from '../../core/alerts/slack-message';
import { renderSnsMessage } from '../../core/alerts/sns-message';
import { functionEnv } from '../function-env';
import { DesiredStateSource } from './desired-state';
import { type ClusterScanResult, type ScanClusterDeps, scanCluster } from './scan-cluster';

// Built once per container: config validated here; clients, the git mirror and rendered revisions are reused.
const logger = new Logger({ serviceName: 'drift-scanner' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'drift-scanner' });
const env = functionEnv();
const dynamodb = new DynamoDBClient({});
const eks = new Map<string, EksClusters>();
/** Clusters scanned at once: each holds a connection pool and dry-runs in flight; four keeps a 256 MB Lambda calm. */
const clusterConcurrency = 4;

let source: Promise<DesiredStateSource> | undefined;
function desiredStateSource(): Promise<DesiredStateSource> {
  source ??= (async () => {
    const { configRepo } = env.config;
    const secret = await getSecret(configRepo.authSecretName, { maxAge: 300 });
    const credentials = gitCredentialsOf(parseConfigRepoSecret(configRepo, secret), configRepo);
    return DesiredStateSource.open({ url: configRepo.url, branch: configRepo.branch, credentials });
  })();
  source.catch(() => {
    source = undefined;
  });
  return source;
}

function channels(): ScanClusterDeps['channels'] {
  const out: ScanClusterDeps['channels'] = [];
  if (env.alertsTopicArn) {
    const sns = new SnsAlerts(env.alertsTopicArn);
    out.push({ name: 'sns', deliver: async (alert) => void (await sns.publish(renderSnsMessage(alert))) });
  }
  const slackSecret = env.config.alerts.slackWebhookSecretName;
  if (slackSecret) {
    const slack = SlackWebhook.fromSecret(slackSecret);
    out.push({ name: 'slack', deliver: async (alert) => void (await slack.post(renderSlackMessage(alert))) });
  }
  return out;
}

const deps: Omit<ScanClusterDeps, 'desired'> = {
  // Locally (tests, `tidemark demo`) KUBECONFIG points at the embedded API server; in AWS it is never set, and each
  // cluster is reached through EKS with the function role's identity.
  cluster: async (cluster) => {
    if (process.env.KUBECONFIG) return ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
    let clusters = eks.get(cluster.region);
    if (!clusters) {
      clusters = new EksClusters(cluster.region);
      eks.set(cluster.region, clusters);
    }
    return clusters.clientFor(cluster.eksClusterName);
  },
  cache: (cluster) => new DynamoDbDriftCache(env.tableName, cluster, dynamodb),
  alertState: new AlertStateStore(env.tableName, dynamodb),
  channels: channels(),
  repoUrl: env.config.configRepo.url,
  revisionLagMinutes: env.config.thresholds.revisionLagMinutes,
  renotifyHours: env.config.alerts.renotifyHours,
  now: () => new Date(),
};

/**
 * Scheduled drift scan of every configured cluster: fetch the config repo head once, then per cluster (at most four at
 * a time) render, scan and alert. One cluster failing never stops the others; it becomes its own "scan failing" alert.
 */
export async function handler(_event: ScheduledEvent, context: Context): Promise<{ clusters: ClusterScanResult[] }> {
  logger.addContext(context);
  const desired = await desiredAtHead();
  const results: ClusterScanResult[] = [];
  const queue = [...env.config.clusters];
  await Promise.all(
    Array.from({ length: Math.min(clusterConcurrency, queue.length) }, async () => {
      for (let cluster = queue.shift(); cluster; cluster = queue.shift()) {
        const result = await scanCluster(cluster, { ...deps, desired });
        results.push(result);
        record(result);
      }
    }),
  );
  return { clusters: results };
}

/**
 * The config repo's head, fetched once per run and shared by every cluster. When Git cannot be read, each cluster's
 * scan fails with the reason (and alerts once), rather than the whole run throwing.
 */
async function desiredAtHead(): Promise<ScanClusterDeps['desired']> {
  try {
    const repo = await desiredStateSource();
    const head = await repo.head();
    return async (path) => ({ ...head, objects: await repo.forPath(head.revision, path) });
  } catch (error) {
    const message = `cannot read the config repo: ${(error as Error).message}`;
    return async () => {
      throw new Error(message);
    };
  }
}

function record(result: ClusterScanResult): void {
  const { cluster, outcome, stats, alerts, deliveryErrors, durationMs } = result;
  // One single-metric per value: a single metric publishes on addMetric and forgets its dimensions, so a second value
  // on the same one would lose `cluster` (which the per-cluster alarm on ScanErrors selects by).
  const emit = (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    const metric = metrics.singleMetric();
    metric.addDimension('cluster', cluster);
    metric.addMetric(name, unit, value);
  };
  const drifted = outcome.kind === 'scanned' ? outcome.report.findings.length : 0;
  emit('DriftedObjects', MetricUnit.Count, drifted);
  emit('ScanDuration', MetricUnit.Milliseconds, durationMs);
  emit('ScanErrors', MetricUnit.Count, (outcome.kind === 'failed' ? 1 : 0) + deliveryErrors.length);
  if (outcome.kind === 'failed') {
    logger.error('drift scan failed', { cluster, reason: outcome.message, alerts });
  } else {
    const { fingerprint, ignoredFields, objectsScanned } = outcome.report;
    logger.info('drift scan done', { cluster, drifted, fingerprint, ignoredFields, objectsScanned, stats, alerts });
  }
  for (const error of deliveryErrors) logger.error('alert delivery failed', { cluster, error });
}
