import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { alertChannels } from '../../adapters/alerts/alert-channels';
import { configRepoOnDemand } from '../../adapters/config-repo/open-config-repo';
import { configRepoDeclarationSource } from '../../adapters/resources/declaration-sources';
import { DynamoDbResourcesStatusStore } from '../../adapters/resources/dynamodb-status-store';
import { SecretsManagerReader } from '../../adapters/resources/secrets-manager-reader';
import { AlertStateStore } from '../../adapters/state/alert-state-store';
import { ConfigError } from '../../core/config/config-error';
import { type ReconcileLog, type ReconcilerModule, reconcilersByKind } from '../../core/resources/reconciler';
import { folderSettings } from '../../engine/resources/folder-settings';
import { type RunFolderResult, runFolder } from '../../engine/resources/run-folder';
import { functionEnv } from '../function-env';
import { runRecorder } from './record-run';
import { isSqsEvent, onSyncRequests } from './sync-requests';

/** `detail-type` of the scheduled event that starts a folder's drift scan (infra/resource-reconciler.ts sends it). */
export const resourceDriftScanDetailType = 'Tidemark Resource Drift Scan';

/**
 * A reconciler Lambda for one folder (`TIDEMARK_RESOURCES_FOLDER` names its `resources[]` entry), around the module
 * of reconcilers it is bundled with. Two triggers: the folder's sync queue (the webhook's and image updater's "Git
 * moved" requests, one reconcile per batch: sync-requests.ts) and a schedule (drift scan, or a catch-up reconcile).
 * Wiring only: the run is engine/resources/run-folder.ts.
 *
 * @example
 * // functions/reconcilers/route53/handler.ts
 * export const handler = reconcilerHandler(route53);
 */
export function reconcilerHandler(module: ReconcilerModule) {
  // Built once per container: config validated here (a wrong setting fails the cold start, naming the key).
  const env = functionEnv();
  const name = process.env.TIDEMARK_RESOURCES_FOLDER ?? '';
  const folder = env.config.resources.find((f) => f.name === name);
  if (!folder) {
    const fix = 'The CDK stack sets it to the folder this function reconciles; redeploy';
    throw new ConfigError('TIDEMARK_RESOURCES_FOLDER', `'${name}' is not a folder under resources in the config`, fix);
  }
  const reconcilers = reconcilersByKind(module);
  folderSettings(folder, reconcilers);
  const logger = new Logger({ serviceName: `reconciler-${folder.name}` });
  const metrics = new Metrics({ namespace: 'Tidemark', serviceName: `reconciler-${folder.name}` });
  const record = runRecorder(logger, metrics, folder.name);
  const dynamodb = new DynamoDBClient({});
  const secrets = new SecretsProvider();
  const { configRepo, alerts } = env.config;
  const repo = configRepoOnDemand(configRepo, () => secrets.get(configRepo.authSecretName, { maxAge: 300 }));
  const deps = {
    folder,
    reconcilers,
    source: { read: async (path: string) => configRepoDeclarationSource(await repo()).read(path) },
    statusStore: new DynamoDbResourcesStatusStore(env.tableName, dynamodb),
    alerts: {
      state: new AlertStateStore(env.tableName, dynamodb),
      channels: alertChannels({ topicArn: env.alertsTopicArn, slackWebhookSecretName: alerts.slackWebhookSecretName }),
      renotifyHours: alerts.renotifyHours,
    },
    log: { info: (m, d) => logger.info(m, d ?? {}), warn: (m, d) => logger.warn(m, d ?? {}) } satisfies ReconcileLog,
  };
  async function run(trigger: 'push' | 'schedule'): Promise<RunFolderResult> {
    const started = Date.now();
    // A secrets reader per run: a rotated password is read afresh, and no secret outlives the run in memory.
    const result = await runFolder(trigger, { ...deps, secrets: new SecretsManagerReader(), now: () => new Date() });
    record(result, Date.now() - started);
    return result;
  }

  return async function handler(event: unknown, context: Context): Promise<SQSBatchResponse | RunFolderResult> {
    logger.addContext(context);
    try {
      if (isSqsEvent(event)) return await onSyncRequests(event, { repo: configRepo, run: () => run('push'), logger });
      const scheduled = EventBridgeSchema.safeParse(event);
      if (!scheduled.success || !['aws.events', 'aws.scheduler'].includes(scheduled.data.source))
        throw new Error('unknown trigger: expected an SQS batch of sync requests or a scheduled event');
      return await run('schedule');
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
