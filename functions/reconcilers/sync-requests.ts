import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SyncRequest } from '../../adapters/sync-queue/sync-request';
import { sameRepo } from '../../core/config/repo-url';

export function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: { eventSource?: string }[] } | null)?.Records;
  return Array.isArray(records) && records.every((r) => r.eventSource === 'aws:sqs');
}

/**
 * One reconcile for the whole batch: each request only says "Git moved", and the run reads the head itself. A
 * malformed request is refused (it goes to the dead-letter queue after its retries, with its reason logged); one for
 * another repository or branch is dropped. When the run itself throws (Git unreachable), every request is retried.
 */
export async function onSyncRequests(
  event: SQSEvent,
  deps: { repo: { url: string; branch: string }; run: () => Promise<unknown>; logger: Logger },
): Promise<SQSBatchResponse> {
  const { logger } = deps;
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
    if (sameRepo(request.repo, deps.repo.url) && request.branch === deps.repo.branch) wanted = true;
    else
      logger.info('ignored a sync request for another repository or branch', {
        repo: request.repo,
        branch: request.branch,
      });
  }
  if (wanted) {
    try {
      await deps.run();
    } catch (error) {
      logger.error('reconcile failed before it could record an outcome', { error: (error as Error).message });
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
  }
  return { batchItemFailures: malformed.map((itemIdentifier) => ({ itemIdentifier })) };
}
