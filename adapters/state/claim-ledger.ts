import { IdempotencyConfig, IdempotencyItemAlreadyExistsError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface ClaimLedgerOptions {
  tableName: string;
  client?: DynamoDBClient;
  /** What the records are of (Powertools' function name; the key uses `keyPrefix` instead). */
  name: string;
  /**
   * The records' key prefix, one of `claimLedgers` (core/state/state-keys.ts): records are `<keyPrefix>#<hash>`.
   * Required, because Powertools' default (`<Lambda function name>.<name>`) is a key the function's policy cannot
   * grant (`dynamodb:LeadingKeys` in infra/state.ts).
   */
  keyPrefix: string;
  /** How long a claim is remembered: the retries and redeliveries it must outlast. */
  expiresAfterSeconds: number;
}

/**
 * Which events were already handled, kept in the State table by Powertools' idempotency persistence layer (its
 * records, its key hashing, its `expiration` TTL): the image updater's ECR events and the webhook's deliveries.
 * Neither can wrap one function per event with `makeIdempotent` — a burst of ECR events is coalesced into one commit,
 * and a delivery is released when a send to one cluster's queue fails — so both drive the three steps `makeIdempotent`
 * does: claim (in progress; a second claim is refused), complete (with the result), or release so a retry may run.
 *
 * @example
 * const ledger = new ClaimLedger({ tableName, name: 'image-updater', keyPrefix: claimLedgers.imageEvents, expiresAfterSeconds: 24 * 3600 });
 * if (await ledger.claim(event.id, context.getRemainingTimeInMillis())) { … await ledger.complete(event.id, { outcome }); }
 */
export class ClaimLedger {
  private readonly store: LedgerStore;

  constructor(options: ClaimLedgerOptions) {
    this.store = new LedgerStore({
      tableName: options.tableName,
      ...(options.client && { awsSdkV3Client: options.client }),
    });
    this.store.configure({
      config: new IdempotencyConfig({ expiresAfterSeconds: options.expiresAfterSeconds }),
      functionName: options.name,
      keyPrefix: options.keyPrefix,
    });
  }

  /**
   * Marks the event as in progress; `false` when it was handled already or is being handled by another run. With
   * `remainingTimeInMillis`, a claim whose run died expires with the run (Lambda's timeout), so a retry may take it.
   */
  async claim(id: string, remainingTimeInMillis?: number): Promise<boolean> {
    try {
      await this.store.saveInProgress({ eventId: id }, remainingTimeInMillis);
      return true;
    } catch (e) {
      if (e instanceof IdempotencyItemAlreadyExistsError) return false;
      throw e;
    }
  }

  async complete(id: string, result: Record<string, string | number | boolean | string[]>): Promise<void> {
    await this.store.saveSuccess({ eventId: id }, result);
  }

  /** Forgets a claim whose work failed, so the retry (or a redelivery) is handled instead of being a duplicate. */
  async release(id: string): Promise<void> {
    await this.store.deleteRecord({ eventId: id });
  }

  /** The item key of an event's record (`id` in the State table). */
  keyOf(id: string): string {
    return this.store.keyOf({ eventId: id });
  }
}

/** The persistence layer, with the key of a record readable (Powertools keeps it protected). */
class LedgerStore extends DynamoDBPersistenceLayer {
  keyOf(data: { eventId: string }): string {
    return this.getHashedIdempotencyKey(data);
  }
}
