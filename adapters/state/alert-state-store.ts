import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertState } from '../../core/alerts/alert-state';
import { driftAlertKey } from '../../core/state/state-keys';

/**
 * Each cluster's alert state in the State table, as the item `drift-alert#<cluster>`. One writer per cluster (the
 * scheduled scanner, which scans a cluster once per run), so a plain put is enough.
 */
export class AlertStateStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async load(cluster: string): Promise<AlertState | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { id: driftAlertKey(cluster) }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      fingerprint: (Item.fingerprint as string | undefined) ?? null,
      findings: Number(Item.findings ?? 0),
      notifiedAt: (Item.notifiedAt as string | undefined) ?? null,
      failing: (Item.failing as AlertState['failing'] | undefined) ?? null,
      undelivered: (Item.undelivered as AlertState['undelivered']) ?? [],
    };
  }

  async save(cluster: string, state: AlertState): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          id: driftAlertKey(cluster),
          fingerprint: state.fingerprint ?? undefined,
          findings: state.findings,
          notifiedAt: state.notifiedAt ?? undefined,
          failing: state.failing ?? undefined,
          undelivered: state.undelivered ?? [],
        },
      }),
    );
  }
}
