import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { severityCounts } from '../../adapters/ecr/scan-findings';
import { deploymentDetailType, deploymentEventSource } from '../../adapters/events/eventbridge-deployments';
import type { VersionedItems } from '../../adapters/state/versioned-items';
import { ecrRepositoryName } from '../../core/images/image-ref';
import { DeploymentEventSchema } from '../../core/notify/deployment-event';
import * as z from '../../core/zod';
import type { PromotionRun } from '../../engine/promotion/promote';
import { recordDeploymentEvent, recordScan } from '../../engine/promotion/promotion-records';

/** `detail` of `ECR Image Scan`, as the Amazon ECR User Guide documents it ("Amazon ECR events"). */
const EcrImageScan = z.object({
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Scan'),
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/)),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({
    'scan-status': z.string(),
    'repository-name': z.string().check(z.regex(/^[a-z0-9][a-z0-9._/-]{0,255}$/)),
    'image-digest': z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/)),
    'finding-severity-counts': z._default(z.record(z.string(), z.number()), {}),
  }),
});

const TidemarkDeployment = z.object({
  source: z.literal(deploymentEventSource),
  'detail-type': z.literal(deploymentDetailType),
  detail: DeploymentEventSchema,
});

/** What the promoter sends itself, delayed, when a gate will open by the clock (`PromoterWakeQueue`). */
export const PromoterWake = z.object({ type: z.literal('promoter-wake'), due: z.iso.datetime({ offset: true }) });

const Trigger = z.union([TidemarkDeployment, EcrImageScan, PromoterWake]);

/** A schedule's event (EventBridge Scheduler or a rule): the promoter's catch-up for scans, soaks and windows. */
export function isSchedule(event: unknown): boolean {
  const e = event as { source?: unknown; 'detail-type'?: unknown };
  return (e?.source === 'aws.scheduler' || e?.source === 'aws.events') && e['detail-type'] !== undefined;
}

/**
 * One SQS batch from the promoter's queue: `Tidemark Deployment` events (into the upstream cluster's evidence),
 * `ECR Image Scan` events (into the digest's scan verdict) and the promoter's own wake-ups; then one promoter run for
 * the whole batch. A record that is none of these fails on its own, with the reason logged, and reaches the dead-letter
 * queue after the queue's retries; the run failing fails the batch (recording is idempotent, so the retry is safe).
 */
export async function handleTriggers(
  event: SQSEvent,
  context: Context,
  deps: {
    items: VersionedItems;
    run(): Promise<PromotionRun>;
    now: () => Date;
    warn(message: string, details: Record<string, unknown>): void;
  },
): Promise<SQSBatchResponse> {
  const onRecord = async (record: SQSRecord) => {
    let parsed: z.infer<typeof Trigger>;
    try {
      parsed = Trigger.parse(JSON.parse(record.body));
    } catch (e) {
      const reason = e instanceof z.core.$ZodError ? (e.issues[0]?.message ?? 'invalid') : (e as Error).message;
      deps.warn('rejected a message that is no promoter trigger', { messageId: record.messageId, reason });
      throw new Error(`not a Tidemark Deployment, ECR Image Scan or promoter wake-up: ${reason}`);
    }
    if ('type' in parsed) return;
    if (parsed.source === deploymentEventSource) {
      await recordDeploymentEvent(deps.items, parsed.detail);
      return;
    }
    const d = parsed.detail;
    const status = d['scan-status'].toUpperCase();
    await recordScan(
      deps.items,
      ecrRepositoryName(parsed.account, parsed.region, d['repository-name']),
      d['image-digest'],
      {
        status:
          status === 'COMPLETE' || status === 'ACTIVE' ? 'complete' : status === 'IN_PROGRESS' ? 'pending' : 'failed',
        counts: severityCounts(d['finding-severity-counts']),
        at: parsed.time,
        source: 'event',
      },
    );
  };
  const response = await processPartialResponse(event, onRecord, new BatchProcessor(EventType.SQS), {
    context,
    throwOnFullBatchFailure: false,
  });
  if (response.batchItemFailures.length < event.Records.length) await deps.run();
  return response;
}
