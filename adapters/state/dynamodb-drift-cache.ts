import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CachedVerdict, DriftCacheEntries } from '../../core/drift/drift-verdict';
import { driftCacheChunkKey, driftCacheKey } from '../../core/state/state-keys';
import { type DriftCacheStore, decodeDriftCache, encodeDriftCache, ephemeralDigestKey } from './drift-cache';

/** DynamoDB items hold 400 KB; chunks stay well under it with the item's other attributes. */
const maxChunkBytes = 300 * 1024;
/** Verdicts of objects that were not seen again expire with the cache; a week covers a paused scanner. */
const ttlSeconds = 7 * 24 * 3600;

/**
 * The scanner's drift cache in the State table: a head item `drift-cache#<cluster>` naming the chunk items
 * `drift-cache#<cluster>#<n>`, each a gzip of verdicts. One read of the head and one BatchGet per scan, instead of an
 * item (and a read) per object; the chunks are rewritten only when a verdict changed.
 */
export class DynamoDbDriftCache implements DriftCacheStore {
  private readonly db: DynamoDBDocumentClient;
  private loadedDigest: string | undefined;

  constructor(
    private readonly tableName: string,
    private readonly cluster: string,
    client: DynamoDBClient = new DynamoDBClient({}),
    private readonly now: () => Date = () => new Date(),
    /**
     * The deployment's digest key, from Secrets Manager (the stack's `DriftCacheKey` secret): never stored in the
     * table. Default: a key of this process alone, so the cache holds only until the container is recycled.
     */
    readonly digestKey: () => Promise<string> = processKey,
  ) {
    this.db = DynamoDBDocumentClient.from(client);
  }

  async load(): Promise<DriftCacheEntries> {
    const { Item: head } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { id: this.headId } }));
    if (!head) return new Map();
    const ids = Array.from({ length: Number(head.chunks ?? 0) }, (_, i) => ({
      id: driftCacheChunkKey(this.cluster, i),
    }));
    const entries: DriftCacheEntries = new Map();
    for (let i = 0; i < ids.length; i += 100) {
      const out = await this.db.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: ids.slice(i, i + 100) } } }),
      );
      const items = out.Responses?.[this.tableName] ?? [];
      // A chunk that is missing (expired, unprocessed) means a partial cache; treat the whole cache as empty.
      if (items.length !== Math.min(100, ids.length - i)) return new Map();
      for (const item of items) for (const [k, v] of decodeDriftCache(item.data as Uint8Array)) entries.set(k, v);
    }
    this.loadedDigest = head.digest as string | undefined;
    return entries;
  }

  async save(entries: DriftCacheEntries): Promise<void> {
    const chunks = chunk(entries);
    const digest = chunks.map((c) => c.toString('base64').slice(-16)).join('');
    if (digest === this.loadedDigest) return;
    const expiration = Math.floor(this.now().getTime() / 1000) + ttlSeconds;
    // Chunks first, head last. A scan that reads in between may get a mix of old and new chunks; every verdict names
    // the manifest digest and resourceVersion it holds for, so a mix can only cost dry-runs, never a wrong verdict.
    for (const [i, data] of chunks.entries()) {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: driftCacheChunkKey(this.cluster, i), data, expiration },
        }),
      );
    }
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { id: this.headId, chunks: chunks.length, digest, objects: entries.size, expiration },
      }),
    );
    this.loadedDigest = digest;
  }

  private get headId(): string {
    return driftCacheKey(this.cluster);
  }
}

const ownKey = ephemeralDigestKey();
const processKey = async () => ownKey;

function chunk(entries: DriftCacheEntries): Buffer[] {
  const all = [...entries];
  const whole = encodeDriftCache(entries);
  const parts = Math.max(1, Math.ceil(whole.length / maxChunkBytes));
  if (parts === 1) return [whole];
  const size = Math.ceil(all.length / parts);
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) {
    out.push(encodeDriftCache(new Map(all.slice(i, i + size) as [string, CachedVerdict][])));
  }
  return out;
}
