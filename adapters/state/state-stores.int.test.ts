import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { DriftCacheEntries } from '../../core/drift/drift-verdict';
import { uniqueName } from '../../test/support/local-env';
import { AlertStateStore } from './alert-state-store';
import { DynamoDbDriftCache } from './dynamodb-drift-cache';
import { FileDriftCache } from './file-drift-cache';

// The State table in moto's DynamoDB (created by `tidemark local up` as the CDK stack creates it), and the CLI's file.

const table = () => process.env.TIDEMARK_TABLE_NAME ?? 'tidemark-state';

/** Verdicts with incompressible values, so many of them need more than one 400 KB item. */
function verdicts(count: number): DriftCacheEntries {
  return new Map(
    Array.from({ length: count }, (_, i) => [
      `shop_web-${i}_apps_Deployment`,
      {
        desiredDigest: randomBytes(16).toString('base64url'),
        resourceVersion: String(1000 + i),
        fields: [
          { path: 'spec.replicas', pointer: '/spec/replicas', desired: 2, live: randomBytes(24).toString('hex') },
        ],
      },
    ]),
  );
}

describe('DynamoDbDriftCache', () => {
  it('returns what it saved, across several items when the cache outgrows one', async () => {
    const cluster = uniqueName('cache');
    const entries = verdicts(12_000);
    await new DynamoDbDriftCache(table(), cluster).save(entries);
    const loaded = await new DynamoDbDriftCache(table(), cluster).load();
    expect(loaded.size).toBe(12_000);
    expect(loaded.get('shop_web-11999_apps_Deployment')).toEqual(entries.get('shop_web-11999_apps_Deployment'));
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { Item } = await db.send(new GetCommand({ TableName: table(), Key: { id: `drift-cache#${cluster}` } }));
    expect(Item?.chunks).toBeGreaterThan(1);
  });

  it('starts empty for a cluster it has never seen', async () => {
    expect((await new DynamoDbDriftCache(table(), uniqueName('cache')).load()).size).toBe(0);
  });
});

describe('AlertStateStore', () => {
  it('keeps a cluster state between scans, and a clean state round-trips as clean', async () => {
    const store = new AlertStateStore(table());
    const cluster = uniqueName('alerts');
    expect(await store.load(cluster)).toBeUndefined();
    const failing = {
      fingerprint: 'abc',
      findings: 3,
      notifiedAt: '2026-11-25T10:00:00.000Z',
      failing: { since: 'x', message: 'm' },
      undelivered: [{ kind: 'appeared' as const, channels: ['slack'], fingerprint: 'abc' }],
    };
    await store.save(cluster, failing);
    expect(await store.load(cluster)).toEqual(failing);
    await store.save(cluster, { fingerprint: null, findings: 0, notifiedAt: null, failing: null });
    expect(await store.load(cluster)).toEqual({
      fingerprint: null,
      findings: 0,
      notifiedAt: null,
      failing: null,
      undelivered: [],
    });
  });
});

describe('FileDriftCache', () => {
  it('keeps one file per API server and selector', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-cache-'));
    const a = new FileDriftCache('https://a:6443', 'sel', dir);
    await a.save(verdicts(3));
    expect((await new FileDriftCache('https://a:6443', 'sel', dir).load()).size).toBe(3);
    expect((await new FileDriftCache('https://b:6443', 'sel', dir).load()).size).toBe(0);
  });

  it('keys its digests with a key of its own, kept apart from the verdicts and readable by its owner alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-cache-'));
    const key = await new FileDriftCache('https://a:6443', 'sel', dir).digestKey();
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(await new FileDriftCache('https://b:6443', 'other', dir).digestKey()).toBe(key);
    expect(statSync(join(dir, 'digest-key')).mode & 0o777).toBe(0o600);
    const cache = new FileDriftCache('https://a:6443', 'sel', dir);
    await cache.save(verdicts(2));
    expect(readFileSync(cache.path).includes(key)).toBe(false);
  });
});
