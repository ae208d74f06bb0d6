import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * A record of the State table that several writers may update at once (the notifier runs one invocation per message
 * group), read and written with optimistic concurrency: each write names the version it read, and DynamoDB refuses it
 * when another writer got there first. The record carries an outbox: the effects its last change decided and that are
 * not yet done, so a retried delivery finishes them instead of deciding again (and sending twice).
 *
 * Stored as plain attributes, readable in the console and by other parts (the promoter, the UI):
 * `{ id, state, outbox, version, updatedAt, expiration? }`.
 */
export interface VersionedItem<T, O> {
  state: T | undefined;
  outbox: O[];
  /** 0 when the record does not exist yet. */
  version: number;
}

/** Another writer changed the record between our read and our write; read it again and redo the change. */
export class StaleWriteError extends Error {
  constructor(id: string) {
    super(`${id} changed while it was being updated; read it again`);
    this.name = 'StaleWriteError';
  }
}

export class VersionedItems {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get<T, O>(id: string): Promise<VersionedItem<T, O>> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
    );
    if (!Item) return { state: undefined, outbox: [], version: 0 };
    return {
      state: (Item.state as T | undefined) ?? undefined,
      outbox: (Item.outbox as O[] | undefined) ?? [],
      version: Number(Item.version ?? 0),
    };
  }

  /**
   * Writes the record if it is still at `expected.version`; returns the new version. A record whose state is
   * `undefined` and whose outbox is empty is deleted (a storm that is over).
   * @throws StaleWriteError when another writer changed it since.
   */
  async put<T, O>(
    id: string,
    item: { state: T | undefined; outbox: O[] },
    expected: { version: number },
    options: { ttlSeconds?: number } = {},
  ): Promise<number> {
    const condition =
      expected.version === 0
        ? { ConditionExpression: 'attribute_not_exists(id)' }
        : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expected.version } };
    const version = expected.version + 1;
    try {
      if (item.state === undefined && item.outbox.length === 0) {
        if (expected.version > 0)
          await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { id }, ...condition }));
        return 0;
      }
      const now = this.now();
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            id,
            state: item.state,
            outbox: item.outbox,
            version,
            updatedAt: now.toISOString(),
            ...(options.ttlSeconds ? { expiration: Math.floor(now.getTime() / 1000) + options.ttlSeconds } : {}),
          },
          ...condition,
        }),
      );
      return version;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleWriteError(id);
      throw error;
    }
  }

  /**
   * Reads, changes and writes a record, again from a fresh read when another writer got in between (up to `attempts`
   * times). `change` must be pure: it may run more than once.
   */
  async update<T, O, R>(
    id: string,
    change: (item: VersionedItem<T, O>) => { state: T | undefined; outbox: O[]; result: R },
    options: { ttlSeconds?: number; attempts?: number } = {},
  ): Promise<R & { version: number }> {
    const attempts = options.attempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      const current = await this.get<T, O>(id);
      const { result, ...item } = change(current);
      try {
        const version = await this.put(id, item, current, options);
        return { ...result, version };
      } catch (error) {
        if (!(error instanceof StaleWriteError) || attempt >= attempts) throw error;
        // Writers of one record are a handful of notifier invocations; a short random pause lets one of them win.
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
      }
    }
  }
}
