import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CachedVerdict, DriftCacheEntries } from '../../core/drift/drift-verdict';

/**
 * Where per-object drift verdicts survive between scans: DynamoDB for the scanner, a file for `tidemark diff`.
 * A lost or unreadable cache only costs dry-runs; it never changes a verdict, so stores fail open to "empty".
 */
export interface DriftCacheStore {
  load(): Promise<DriftCacheEntries>;
  save(entries: DriftCacheEntries): Promise<void>;
  /**
   * The key the verdicts' manifest digests are HMACs under (`digestOf`). It is kept apart from the verdicts (Secrets
   * Manager for the scanner, a file only its owner reads for `tidemark diff`), so the stored digests of a Secret's
   * manifest cannot be used to confirm a guessed value. A new key only costs dry-runs: no digest matches any more.
   */
  digestKey(): Promise<string>;
}

/** A key for a cache that has none of its own: its digests match nothing after the process ends. */
export function ephemeralDigestKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored form: gzip of `[[key, verdict], …]`, compact enough for 2,000 objects to fit one DynamoDB item. */
export function encodeDriftCache(entries: DriftCacheEntries): Buffer {
  return gzipSync(JSON.stringify([...entries]));
}

export function decodeDriftCache(data: Uint8Array): DriftCacheEntries {
  return new Map(JSON.parse(gunzipSync(data).toString('utf8')) as [string, CachedVerdict][]);
}
