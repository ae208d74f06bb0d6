import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { alertChannels } from '../../adapters/alerts/alert-channels';
import { gitCredentialsOf, parseConfigRepoSecret } from '../../adapters/config-repo/credentials';
import { ConfiguredClusters } from '../../adapters/kubernetes/eks-cluster';
import { AlertStateStore } from '../../adapters/state/alert-state-store';
import { DriftFindingsStore } from '../../adapters/state/drift-findings-store';
import { DynamoDbDriftCache } from '../../adapters/state/dynamodb-drift-cache';
import { readOnlyConfigRepo } from '../../core/config/deployment-config';
import { defaultConcurrency, inParallel } from '../../engine/concurrency';
import { functionEnv } from '../function-env';
import { DesiredStateSource, headOrFailure } from './desired-state';
import { recordScan } from './record-scan';
import { type ClusterScanResult, type ScanClusterDeps, scanCluster } from './scan-cluster';

// Built once per container: config validated here; clients, the git mirror and rendered revisions are reused.
const logger = new Logger({ serviceName: 'drift-scanner' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'drift-scanner' });
const env = functionEnv();
// It only reads the repo: with the read-only secret when the config names one (configRepo.readOnlySecretName).
const configRepo = readOnlyConfigRepo(env.config.configRepo);
const dynamodb = new DynamoDBClient({});
const clusters = new ConfiguredClusters();
const git = DesiredStateSource.lazily(async () => {
  const secret = parseConfigRepoSecret(configRepo, await getSecret(configRepo.authSecretName, { maxAge: 300 }));
  return { url: configRepo.url, branch: configRepo.branch, credentials: gitCredentialsOf(secret, configRepo) };
});
// The drift cache's digests are HMACs under this key (core/drift/drift-verdict.ts digestOf), kept out of the table.
const { driftCacheKeySecret } = env;
const digestKey = driftCacheKeySecret
  ? async () => String(await getSecret(driftCacheKeySecret, { maxAge: 300 }))
  : undefined;
const deps: Omit<ScanClusterDeps, 'desired'> = {
  cluster: (cluster) => clusters.connect(cluster),
  cache: (cluster) => new DynamoDbDriftCache(env.tableName, cluster, dynamodb, undefined, digestKey),
  alertState: new AlertStateStore(env.tableName, dynamodb),
  findings: new DriftFindingsStore(env.tableName, dynamodb),
  channels: alertChannels({
    topicArn: env.alertsTopicArn,
    slackWebhookSecretName: env.config.alerts.slackWebhookSecretName,
  }),
  repoUrl: configRepo.url,
  revisionLagMinutes: env.config.thresholds.revisionLagMinutes,
  renotifyHours: env.config.alerts.renotifyHours,
  now: () => new Date(),
};

/**
 * Scheduled drift scan of every configured cluster: fetch the config repo head once, then per cluster (a few at a
 * time) render, scan and alert. One cluster failing never stops the others; it becomes its own "scan failing" alert.
 */
export async function handler(_event: ScheduledEvent, context: Context): Promise<{ clusters: ClusterScanResult[] }> {
  logger.addContext(context);
  const desired = await headOrFailure(git);
  const results: ClusterScanResult[] = [];
  await inParallel(env.config.clusters, defaultConcurrency.scannedClusters, async (cluster) => {
    const result = await scanCluster(cluster, { ...deps, desired });
    results.push(result);
    recordScan(result, logger, metrics);
  });
  return { clusters: results };
}
