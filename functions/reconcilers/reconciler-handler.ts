import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SlackWebhook } from '../../adapters/alerts/slack-webhook';
import { SnsAlerts } from '../../adapters/alerts/sns-alerts';
import type { ConfigRepo } from '../../adapters/config-repo/config-repo';
import { openConfigRepo } from '../../adapters/config-repo/open-config-repo';
import { configRepoDeclarationSource } from '../../adapters/resources/declaration-sources';
import { DynamoDbResourcesStatusStore } from '../../adapters/resources/dynamodb-status-store';
import { SecretsManagerReader } from '../../adapters/resources/secrets-manager-reader';
import { AlertStateStore } from '../../adapters/state/alert-state-store';
import { SyncRequest } from '../../adapters/sync-queue/sync-request';
import { renderSlackMessage } from '../../core/alerts/slack-message';
import { renderSnsMessage } from '../../core/alerts/sns-message';
import { ConfigError } from '../../core/config/config-error';
import { sameRepo } from '../../core/config/repo-url';
import { type ReconcilerModule, reconcilersByKind } from '../../core/resources/reconciler';
import { isFailure } from '../../core/resources/resources-outcome';
import type { AlertPipeline } from '../../engine/drift/announce-drift';
import { folderSettings } from '../../engine/resources/folder-settings';
import { type RunFolderResult, runFolder } from '../../engine/resources/run-folder';
import { functionEnv } from '../function-env';

/** `detail-type` of the scheduled event that starts a folder's drift scan (infra/resource-reconciler.ts sends it). */
export const resourceDriftScanDetailType = 'Tidemark Resource Drift Scan';

/**
 * A reconciler Lambda for one folder (`TIDEMARK_RESOURCES_FOLDER` names its `resources[]` entry), around the module
 * of reconcilers it is bundled with. Two triggers: the folder's sync queue (the webhook's and image updater's "Git
 * moved" requests, one reconcile per batch) and a schedule (drift scan, or a catch-up reconcile). Wiring only: the
 * run is engine/resources/run-folder.ts.
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
    throw new ConfigError(
      'TIDEMARK_RESOURCES_FOLDER',
      `'${name}' is not a folder under resources in the config`,
      'The CDK stack sets it to the folder this function reconciles; redeploy',
    );
  }
  const reconcilers = reconcilersByKind(module);
  folderSettings(folder, reconcilers);
  const serviceName = `reconciler-${folder.name}`;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: 'Tidemark', serviceName });
  const dynamodb = new DynamoDBClient({});
  const secrets = new SecretsProvider();
  let repo: Promise<ConfigRepo> | undefined;
  const configRepo = () => {
    repo ??= secrets
      .get(env.config.configRepo.authSecretName, { maxAge: 300 })
      .then((secret) => openConfigRepo(env.config.configRepo, secret));
    repo.catch(() => {
      repo = undefined; // a missing secret may be fixed; try again on the next run
    });
    return repo;
  };
  const alerts: AlertPipeline = {
    state: new AlertStateStore(env.tableName, dynamodb),
    channels: alertChannels(env.alertsTopicArn, env.config.alerts.slackWebhookSecretName),
    renotifyHours: env.config.alerts.renotifyHours,
  };

  async function run(trigger: 'push' | 'schedule'): Promise<RunFolderResult> {
    const started = Date.now();
    const result = await runFolder(trigger, {
      folder: folder!,
      reconcilers,
      source: {
        read: async (path) => configRepoDeclarationSource(await configRepo()).read(path),
      },
      statusStore: new DynamoDbResourcesStatusStore(env.tableName, dynamodb),
      alerts,
      // A reader per run: a rotated password is read afresh, and no secret outlives the run in memory.
      secrets: new SecretsManagerReader(),
      log: { info: (m, d) => logger.info(m, d ?? {}), warn: (m, d) => logger.warn(m, d ?? {}) },
      now: () => new Date(),
    });
    record(result, Date.now() - started);
    return result;
  }

  function record(result: RunFolderResult, durationMs: number): void {
    const emit = (metric: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
      const single = metrics.singleMetric();
      single.addDimension('folder', folder!.name);
      single.addMetric(metric, unit, value);
    };
    emit('RunDuration', MetricUnit.Milliseconds, durationMs);
    const delivery = result.announced?.deliveryErrors ?? [];
    if (result.kind === 'reconciled') {
      const { outcome } = result;
      const failed = 'results' in outcome ? outcome.results.filter(isFailure).length : 1;
      emit('ReconcileFailures', MetricUnit.Count, outcome.kind === 'applied' ? 0 : Math.max(failed, 1));
      const summary = {
        trigger: 'reconcile',
        revision: result.revision,
        outcome: outcome.kind,
        ...('results' in outcome
          ? {
              objects: outcome.results.length,
              failures: outcome.results
                .filter(isFailure)
                .map((r) => `${r.key}: ${r.message ?? r.action}`)
                .slice(0, 10),
            }
          : {}),
        ...(outcome.kind === 'invalid' ? { problems: outcome.problems.slice(0, 10) } : {}),
        ...('message' in outcome ? { reason: outcome.message } : {}),
        alerts: result.announced?.alerts ?? [],
      };
      if (outcome.kind === 'applied') logger.info('reconciled', summary);
      else logger.error('reconcile did not apply everything', summary);
    } else {
      const { outcome } = result;
      const findings = outcome.kind === 'scanned' ? outcome.report.findings.length : 0;
      emit('DriftFindings', MetricUnit.Count, findings);
      emit('ScanErrors', MetricUnit.Count, outcome.kind === 'failed' ? 1 : 0);
      const summary = {
        trigger: 'drift-scan',
        revision: result.revision,
        findings,
        healed: result.healed,
        alerts: result.announced.alerts,
      };
      if (outcome.kind === 'failed') logger.error('drift scan failed', { ...summary, reason: outcome.message });
      else logger.info('drift scan done', { ...summary, fingerprint: outcome.report.fingerprint });
    }
    emit('AlertDeliveryErrors', MetricUnit.Count, delivery.length);
    for (const error of delivery) logger.error('alert delivery failed', { error });
  }

  return async function handler(event: unknown, context: Context): Promise<SQSBatchResponse | RunFolderResult> {
    logger.addContext(context);
    try {
      if (isSqsEvent(event)) return await onSyncRequests(event);
      const scheduled = EventBridgeSchema.safeParse(event);
      if (!scheduled.success || !['aws.events', 'aws.scheduler'].includes(scheduled.data.source)) {
        throw new Error('unknown trigger: expected an SQS batch of sync requests or a scheduled event');
      }
      return await run('schedule');
    } finally {
      metrics.publishStoredMetrics();
    }
  };

  /**
   * One reconcile for the whole batch: each request only says "Git moved", and the run reads the head itself. A
   * malformed request is refused (it goes to the dead-letter queue after its retries, with its reason logged); one for
   * another repository or branch is dropped. When the run itself throws (Git unreachable), every request is retried.
   */
  async function onSyncRequests(event: SQSEvent): Promise<SQSBatchResponse> {
    const malformed: string[] = [];
    let wanted = false;
    for (const record of event.Records) {
      let request: SyncRequest;
      try {
        request = SyncRequest.parse(JSON.parse(record.body));
      } catch (error) {
        logger.warn('rejected a malformed sync request', {
          messageId: record.messageId,
          reason: (error as Error).message,
        });
        malformed.push(record.messageId);
        continue;
      }
      if (sameRepo(request.repo, env.config.configRepo.url) && request.branch === env.config.configRepo.branch)
        wanted = true;
      else
        logger.info('ignored a sync request for another repository or branch', {
          repo: request.repo,
          branch: request.branch,
        });
    }
    if (wanted) {
      try {
        await run('push');
      } catch (error) {
        logger.error('reconcile failed before it could record an outcome', { error: (error as Error).message });
        return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
      }
    }
    return { batchItemFailures: malformed.map((itemIdentifier) => ({ itemIdentifier })) };
  }
}

function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: { eventSource?: string }[] } | null)?.Records;
  return Array.isArray(records) && records.every((r) => r.eventSource === 'aws:sqs');
}

/** The drift scanner's channels: the alerts topic, and Slack when a webhook secret is configured. */
function alertChannels(topicArn: string | undefined, slackSecret: string | undefined): AlertPipeline['channels'] {
  const out: AlertPipeline['channels'] = [];
  if (topicArn) {
    const sns = new SnsAlerts(topicArn);
    out.push({ name: 'sns', deliver: async (alert) => void (await sns.publish(renderSnsMessage(alert))) });
  }
  if (slackSecret) {
    const slack = SlackWebhook.fromSecret(slackSecret);
    out.push({ name: 'slack', deliver: async (alert) => void (await slack.post(renderSlackMessage(alert))) });
  }
  return out;
}
