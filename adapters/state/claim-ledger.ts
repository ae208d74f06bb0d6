import { IdempotencyConfig, IdempotencyItemAlreadyExistsError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Which ECR events were already handled, kept in the State table by Powertools' idempotency persistence layer (its
 * records, its key prefix, its `expiration` TTL). The handler cannot wrap one function per record with
 * `makeIdempotent`, because a burst of events is coalesced into one commit; so it drives the same three steps
 * `makeIdempotent` does: claim (in progress), complete (with the result), or release on failure so a retry may run.
 */
export class EventLedger {
  private readonly store: DynamoDBPersistenceLayer;

  constructor(tableName: string, client?: DynamoDBClient, functionName = 'image-updater') {
    this.store = new DynamoDBPersistenceLayer({ tableName, ...(client && { awsSdkV3Client: client }) });
    // A day covers EventBridge's retries and SQS's redeliveries; after that, never-downgrade still makes a replay a no-op.
    this.store.configure({ config: new IdempotencyConfig({ expiresAfterSeconds: 24 * 3600 }), functionName });
  }

  /** Marks the event as in progress; `false` when it was handled already or is being handled by another run. */
  async claim(eventId: string, remainingTimeInMillis?: number): Promise<boolean> {
    try {
      await this.store.saveInProgress({ eventId }, remainingTimeInMillis);
      return true;
    } catch (e) {
      if (e instanceof IdempotencyItemAlreadyExistsError) return false;
      throw e;
    }
  }

  async complete(eventId: string, result: Record<string, string | number | boolean>): Promise<void> {
    await this.store.saveSuccess({ eventId }, result);
  }

  async release(eventId: string): Promise<void> {
    await this.store.deleteRecord({ eventId });
  }
}
