import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DriftFindingsStore } from '../../adapters/state/drift-findings-store';
import type { DriftFindings } from '../../core/drift/drift-findings';
import type { SyncNotifyState } from '../../core/notify/notify-state';
import { syncItemId } from '../../functions/notifier/notify';

/** A Sync's deployment history as the notifier keeps it, and when the notifier last changed it. */
export interface DeploymentHistory {
  state: SyncNotifyState;
  updatedAt?: string;
}

/**
 * What the UI reads from the State table with the user's AWS credentials: each Sync's deployment history (the
 * notifier's `deploy-sync#…` items) and each cluster's drift findings (the scanner's `drift-findings#…`). Without a
 * table (no `--table`, no $TIDEMARK_TABLE_NAME) the pages say so instead of guessing.
 */
export class UiState {
  private readonly db: DynamoDBDocumentClient;
  private readonly findings: DriftFindingsStore | undefined;

  constructor(
    readonly tableName: string | undefined,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.db = DynamoDBDocumentClient.from(client);
    this.findings = tableName ? new DriftFindingsStore(tableName, client) : undefined;
  }

  async history(cluster: string, sync: { namespace: string; name: string }): Promise<DeploymentHistory | undefined> {
    if (!this.tableName) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { id: syncItemId({ cluster, sync }) } }),
    );
    if (!Item?.state) return undefined;
    return { state: Item.state as SyncNotifyState, updatedAt: Item.updatedAt as string | undefined };
  }

  async driftFindings(cluster: string): Promise<DriftFindings | undefined> {
    return this.findings?.load(cluster);
  }
}
