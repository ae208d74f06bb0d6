import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ClaimLedger, ClaimLedgerOptions } from '../../adapters/state/claim-ledger';
import type { ImagePush } from '../../core/images/plan-image-update';
import { claimLedgers } from '../../core/state/state-keys';
import { type EcrImagePushEvent, imagePushOf, MalformedEvent, parseEcrImagePush } from './ecr-image-push';
import type { UpdateRecorder } from './record-update';
import type { UpdateImagesResult } from './update-images';

/**
 * The claim ledger of ECR events: records `image-updater#<hash>` in the State table. A fixed prefix rather than
 * Powertools' default `<function name>.image-updater`, because the function's policy limits it to the keys it uses
 * (`dynamodb:LeadingKeys`) and cannot name the function it belongs to. A day covers EventBridge's retries and SQS's
 * redeliveries; after that, never-downgrade still makes a replay a no-op (so does an event handled under the old key
 * before an upgrade).
 */
export const imageEventLedger: Omit<ClaimLedgerOptions, 'tableName' | 'client'> = {
  name: 'image-updater',
  keyPrefix: claimLedgers.imageEvents,
  expiresAfterSeconds: 24 * 3600,
};

export interface ImageEventsDeps {
  /** ECR events already handled, or being handled by another run. */
  ledger: Pick<ClaimLedger, 'claim' | 'complete' | 'release'>;
  /** Read → plan → commit for the pushes of the batch (`updateImages` with the config repo). */
  update(pushes: readonly ImagePush[]): Promise<UpdateImagesResult>;
  record: UpdateRecorder;
}

/**
 * One SQS FIFO batch of EventBridge `ECR Image Action` events: each parsed (a malformed one goes, with its reason,
 * towards the dead-letter queue), each claimed once in the ledger (a redelivered one is a duplicate), the new ones
 * coalesced into one update (so a burst becomes one commit per branch), their claims completed with its outcome, or
 * released when it failed so SQS retries them; the answer reports each record's failure on its own.
 */
export async function handleImageEvents(
  event: SQSEvent,
  context: Context,
  deps: ImageEventsDeps,
): Promise<SQSBatchResponse> {
  const { ledger, record } = deps;
  const parsed = new Map<string, EcrImagePushEvent | MalformedEvent>();
  for (const sqsRecord of event.Records) {
    try {
      parsed.set(sqsRecord.messageId, parseEcrImagePush(sqsRecord.body));
    } catch (e) {
      parsed.set(sqsRecord.messageId, e as MalformedEvent);
      record.logger.warn('rejected a malformed event', {
        messageId: sqsRecord.messageId,
        reason: (e as Error).message,
      });
      record.count('malformed');
    }
  }
  const claimed: EcrImagePushEvent[] = [];
  for (const e of parsed.values()) {
    if (e instanceof MalformedEvent) continue;
    if (await ledger.claim(e.id, context.getRemainingTimeInMillis())) claimed.push(e);
    else record.count('duplicate');
  }
  let failure: Error | undefined;
  if (claimed.length > 0) {
    const pushes = claimed.map(imagePushOf).filter((p): p is ImagePush => p !== undefined);
    try {
      // A push by digest alone moves no tag: nothing to read or plan.
      const result: UpdateImagesResult =
        pushes.length > 0
          ? await deps.update(pushes)
          : { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
      record.result(result, pushes);
      for (const e of claimed) await ledger.complete(e.id, { outcome: result.kind });
    } catch (e) {
      failure = e as Error;
      record.logger.error('image update failed; the events will be retried', failure);
      record.count('failed');
      for (const c of claimed) await ledger.release(c.id);
    }
  }
  const failed = new Set(claimed.map((c) => c.id));
  return processPartialResponse(
    event,
    async (sqsRecord: SQSRecord) => {
      const p = parsed.get(sqsRecord.messageId);
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

/** An SQS batch (the image-event queue) rather than a scheduled event. */
export function isImageEventBatch(event: unknown): event is SQSEvent {
  return typeof event === 'object' && event !== null && Array.isArray((event as SQSEvent).Records);
}
