import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ConfigRepo } from '../../adapters/config-repo/config-repo';
import { openConfigRepo } from '../../adapters/config-repo/open-config-repo';
import { describeImages } from '../../adapters/ecr/ecr-images';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import type { ImagePush } from '../../core/images/plan-image-update';
import { functionEnv } from '../function-env';
import { type EcrImagePushEvent, imagePushOf, MalformedEvent, parseEcrImagePush } from './ecr-image-push';
import { EventLedger } from '../../adapters/state/claim-ledger';
import { readImagePolicies, type UpdateImagesDeps, type UpdateImagesResult, updateImages } from './update-images';

// Built once per container: config validated here; clients, the secret cache and the git cache folder are reused.
const logger = new Logger({ serviceName: 'image-updater' });
const metrics = new Metrics({ namespace: 'Tidemark', serviceName: 'image-updater' });
const env = functionEnv();
const secrets = new SecretsProvider();
const sqs = new SQSClient({});
const ledger = new EventLedger(env.tableName, new DynamoDBClient({}));
const syncQueues = new Map(Object.entries(env.syncQueueUrls).map(([name, url]) => [name, new SyncQueue(url, sqs)]));
let configRepo: Promise<ConfigRepo> | undefined;

async function deps(): Promise<UpdateImagesDeps> {
  configRepo ??= secrets
    .get(env.config.configRepo.authSecretName, { maxAge: 300 })
    .then((secret) => openConfigRepo(env.config.configRepo, secret));
  const repo = await configRepo.catch((e) => {
    configRepo = undefined; // a missing secret may be fixed; try again on the next event
    throw e;
  });
  return {
    repo,
    clusters: env.config.clusters,
    syncQueues,
    imagesOf: (repository) => describeImages(repository),
    log: (message, details) => logger.info(message, details),
  };
}

/**
 * Two triggers, one function: SQS FIFO batches of EventBridge `ECR Image Action` events (one message group per config
 * repo, so writes to it are serialised), and a schedule that re-checks every policy against ECR to catch up missed
 * events.
 */
export async function handler(
  event: SQSEvent | unknown,
  context: Context,
): Promise<SQSBatchResponse | UpdateImagesResult> {
  logger.addContext(context);
  try {
    if (isSqsEvent(event)) return await onImageEvents(event, context);
    const scheduled = EventBridgeSchema.safeParse(event);
    if (!scheduled.success || !['aws.events', 'aws.scheduler'].includes(scheduled.data.source)) {
      throw new Error('unknown trigger: expected an SQS batch of ECR events or a scheduled event');
    }
    return await catchUp();
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}

async function onImageEvents(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const parsed = new Map<string, EcrImagePushEvent | MalformedEvent>();
  for (const record of event.Records) {
    try {
      parsed.set(record.messageId, parseEcrImagePush(record.body));
    } catch (e) {
      parsed.set(record.messageId, e as MalformedEvent);
      logger.warn('rejected a malformed event', { messageId: record.messageId, reason: (e as Error).message });
      count('malformed');
    }
  }
  // A burst is coalesced: every new event of the batch goes into one plan, and so into one commit per branch.
  const claimed: EcrImagePushEvent[] = [];
  for (const e of parsed.values()) {
    if (e instanceof MalformedEvent) continue;
    if (await ledger.claim(e.id, context.getRemainingTimeInMillis())) claimed.push(e);
    else count('duplicate');
  }
  let failure: Error | undefined;
  if (claimed.length > 0) {
    const pushes = claimed.map(imagePushOf).filter((p): p is ImagePush => p !== undefined);
    try {
      // A push by digest alone moves no tag: nothing to read or plan.
      const result: UpdateImagesResult =
        pushes.length > 0
          ? await updateImages(pushes, await deps())
          : { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
      report(result, pushes);
      for (const e of claimed) await ledger.complete(e.id, { outcome: result.kind });
    } catch (e) {
      failure = e as Error;
      logger.error('image update failed; the events will be retried', failure);
      count('failed');
      for (const c of claimed) await ledger.release(c.id);
    }
  }
  const failed = new Set(claimed.map((c) => c.id));
  return processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const p = parsed.get(record.messageId);
      if (p instanceof MalformedEvent) throw p;
      if (failure && p && failed.has(p.id)) throw failure;
    },
    // Not the FIFO processor: it fails every record after the first failure to keep the group's order, which would
    // drag valid events behind a malformed one into the dead-letter queue. Order does not matter here: the plan keeps
    // the highest eligible tag whatever order events come in, so each record succeeds or fails on its own.
    new BatchProcessor(EventType.SQS),
    { context, throwOnFullBatchFailure: false },
  );
}

async function catchUp(): Promise<UpdateImagesResult> {
  const d = await deps();
  const read = await readImagePolicies(d.repo); // read once: the update below plans from the same read
  if (!read) return { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
  const repositories = [...new Set(read.policies.map((p) => p.repository))];
  // One repository ECR cannot describe (not ECR, not granted, deleted) must not stop the catch-up of the others.
  const listed = await Promise.allSettled(repositories.map((r) => describeImages(r)));
  const pushes = listed.flatMap((result, i) => {
    if (result.status === 'fulfilled') return result.value;
    logger.warn('could not list the images of a repository; its policies are not caught up', {
      repository: repositories[i],
      error: (result.reason as Error).message,
    });
    count('catch-up-skipped');
    return [];
  });
  logger.info('catch-up run', { repositories, images: pushes.length });
  const result = await updateImages(pushes, d, read);
  report(result, []);
  return result;
}

function report(result: UpdateImagesResult, pushes: readonly ImagePush[]): void {
  count(result.kind);
  for (const write of result.writes) {
    if (write.kind === 'unchanged') {
      logger.info('nothing to change', { target: write.target, skipped: write.skipped });
      continue;
    }
    logger.info(`image update ${write.kind}`, { ...write });
    metrics.addMetric('Commits', MetricUnit.Count, 1);
    metrics.addMetric('CommitAttempts', MetricUnit.Count, write.attempts);
    const oldest = Math.min(...pushes.map((p) => p.pushedAt?.getTime() ?? Number.POSITIVE_INFINITY));
    if (Number.isFinite(oldest)) metrics.addMetric('PushToCommitLatency', MetricUnit.Milliseconds, Date.now() - oldest);
  }
  if (result.kind === 'ignored')
    logger.info('no policy names the pushed repository', { pushes: pushes.map((p) => p.repository) });
}

function count(outcome: string): void {
  metrics.singleMetric().addDimension('outcome', outcome).addMetric('ImageEvents', MetricUnit.Count, 1);
}

function isSqsEvent(event: unknown): event is SQSEvent {
  return typeof event === 'object' && event !== null && Array.isArray((event as SQSEvent).Records);
}
