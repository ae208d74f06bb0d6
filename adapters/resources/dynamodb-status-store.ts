import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ResourcesStatus } from '../../core/resources/resources-status';
import { resourcesStatusKey } from '../../core/state/state-keys';
import type { ResourcesStatusStore } from '../../engine/resources/run-folder';

/** DynamoDB's item limit is 400 KB; the status stays well under it with its summary attributes. */
const maxDataBytes = 350 * 1024;

/** Another run saved the folder's status between this run's load and save. */
export class ConcurrentRunError extends Error {
  constructor(name: string, options?: ErrorOptions) {
    super(
      `another run of resources '${name}' saved its status first, so this run's status was not saved. The next push or scheduled run reconciles again`,
      options,
    );
    this.name = 'ConcurrentRunError';
  }
}

/**
 * Each folder's status in the State table, as the item `resources#<name>`: a few plain attributes for a quick look in
 * the console (the Ready condition, revisions, times), and the whole status as gzip of its JSON, since 500 objects'
 * results and inventory would not fit an item as attributes. Written with a version number: a save that lost a race
 * (the CLI next to the Lambda) fails instead of overwriting the inventory the other run wrote.
 */
export class DynamoDbResourcesStatusStore implements ResourcesStatusStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async load(name: string): Promise<{ status: ResourcesStatus; version: number } | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { id: resourcesStatusKey(name) }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const status = JSON.parse(gunzipSync(Item.data as Uint8Array).toString('utf8')) as ResourcesStatus;
    return { status, version: Number(Item.version ?? 0) };
  }

  async save(status: ResourcesStatus, version: number | undefined): Promise<void> {
    const data = gzipSync(JSON.stringify(status));
    if (data.length > maxDataBytes) {
      throw new Error(
        `the status of resources '${status.name}' is ${Math.round(data.length / 1024)} KB compressed, more than the ${maxDataBytes / 1024} KB a State table item holds. Split the folder into smaller ones`,
      );
    }
    const ready = status.conditions.find((c) => c.type === 'Ready');
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            id: resourcesStatusKey(status.name),
            version: (version ?? 0) + 1,
            name: status.name,
            path: status.path,
            ready: ready?.status,
            reason: ready?.reason,
            lastAppliedRevision: status.lastAppliedRevision,
            lastAttemptedRevision: status.lastAttemptedRevision,
            lastReconcileTime: status.lastReconcileTime,
            lastScanTime: status.lastScan?.time,
            objects: status.inventory.entries.length,
            data,
          },
          ...(version === undefined
            ? { ConditionExpression: 'attribute_not_exists(id)' }
            : { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': version } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConcurrentRunError(status.name, { cause: error });
      throw error;
    }
  }
}
