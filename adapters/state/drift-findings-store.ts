import { gunzipSync, gzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DriftFindings } from '../../core/drift/drift-findings';
import { driftFindingsKey } from '../../core/state/state-keys';

/** DynamoDB items hold 400 KB; the gzip of 500 findings is far below, and a larger one is cut until it fits. */
const maxItemBytes = 350 * 1024;

/**
 * Each cluster's last drift findings in the State table, as the item `drift-findings#<cluster>` with the findings as a
 * gzip of JSON (`data`): written by the drift scanner after each scan (one writer per cluster), read by `tidemark ui`.
 */
export class DriftFindingsStore {
  private readonly db: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.db = DynamoDBDocumentClient.from(client);
  }

  async load(cluster: string): Promise<DriftFindings | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { id: idOf(cluster) } }));
    if (!Item?.data) return undefined;
    return JSON.parse(gunzipSync(Item.data as Uint8Array).toString('utf8')) as DriftFindings;
  }

  async save(findings: DriftFindings): Promise<void> {
    let kept = findings;
    let data = gzipSync(JSON.stringify(kept));
    while (data.length > maxItemBytes && kept.findings.length > 0) {
      const keep = Math.floor(kept.findings.length / 2);
      kept = { ...kept, findings: kept.findings.slice(0, keep), omitted: kept.omitted + kept.findings.length - keep };
      data = gzipSync(JSON.stringify(kept));
    }
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { id: idOf(findings.cluster), data, scannedAt: kept.scannedAt, findings: kept.findings.length },
      }),
    );
  }
}

function idOf(cluster: string): string {
  return driftFindingsKey(cluster);
}
