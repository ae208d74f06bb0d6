import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RenderAlertState } from '../../core/hydrate/render-alerts';
import { renderAlertKey } from '../../core/state/state-keys';

/**
 * Each render target's alert state in the State table, as the item `render-alert#<repo>#<target>` (`<repo>`: a short
 * hash of the config repo URL, so two repos' targets of one name never share a state). One writer per config repo
 * (the hydrator, serialised by its FIFO message group), so a plain put is enough.
 */
export class RenderAlertStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    private readonly repoUrl: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async load(target: string): Promise<RenderAlertState | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { id: renderAlertKey(this.repoUrl, target) },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return { failing: (Item.failing as RenderAlertState['failing'] | undefined) ?? null };
  }

  async save(target: string, state: RenderAlertState): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { id: renderAlertKey(this.repoUrl, target), failing: state.failing ?? undefined },
      }),
    );
  }
}
