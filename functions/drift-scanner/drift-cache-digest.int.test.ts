import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { CachedVerdict } from '../../core/drift/drift-verdict';
import type { KubeObject } from '../../core/sync/kube-object';
import { withOwnership } from '../../core/sync/ownership';
import { parseManifests } from '../../core/sync/render';
import { syncFolder } from '../../engine/sync/sync-folder';
import { uniqueNamespace } from '../../test/support/cluster';
import { openScanner, type ScannerHarness } from '../../test/support/drift-scanner';

// The drift cache in the State table remembers, per object, a digest of the manifest it judged. For a Secret that
// digest must not let anyone who can read the table confirm a guessed value offline: a plain hash of the manifest
// would (hash the manifest with the guess, compare). It is an HMAC under the deployment's own key, which lives in
// Secrets Manager, not in the table.

const password = `guess-me-${Math.random().toString(36).slice(2, 6)}`;
const manifest = (ns: string) => `
apiVersion: v1
kind: Secret
metadata: { name: db, namespace: ${ns} }
stringData:
  password: ${password}
`;

/** JSON with keys sorted at every level: the canonical text a digest of a manifest is taken over. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('the drift cache digest of a Secret', () => {
  let ns: string;
  let scanner: ScannerHarness;
  let desired: KubeObject;

  beforeAll(async () => {
    ns = await uniqueNamespace('digest');
    scanner = await openScanner({ files: { 'clusters/x/db.yaml': manifest(ns) }, path: 'clusters/x', prefix: 'dgst' });
    const sync = { namespace: 'tidemark-system', name: scanner.cluster };
    desired = withOwnership(parseManifests([{ path: 'db.yaml', text: manifest(ns) }])[0]!, sync);
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-digest-'));
    writeFileSync(join(dir, 'db.yaml'), manifest(ns));
    const client = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
    await syncFolder(client, { sync, dir, revision: scanner.repo.head(), prune: false, maxPruneShare: 0 });
    client.close();
    expect((await scanner.run()).outcome.kind).toBe('scanned');
  });

  const storedDigest = async () => {
    const chunks = (await scanner.stateItems()).filter((item) => /^drift-cache#.*#\d+$/.test(String(item.id)));
    const verdicts = chunks.flatMap((chunk) => JSON.parse(String(chunk.data)) as [string, CachedVerdict][]);
    const secret = verdicts.find(([key]) => key === `${ns}_db__Secret`);
    expect(secret, 'the Secret has a cached verdict').toBeDefined();
    return secret![1].desiredDigest;
  };

  it('cannot be recomputed from the manifest alone, so a guessed value cannot be confirmed', async () => {
    const plain = createHash('sha256').update(canonical(desired)).digest('base64url').slice(0, 22);
    expect(await storedDigest()).not.toBe(plain);
  });

  it("is an HMAC under the deployment's key, kept in Secrets Manager and not in the table", async () => {
    const secretName = process.env.TIDEMARK_DRIFT_CACHE_KEY_SECRET;
    expect(secretName, 'the function environment names the key').toBeTruthy();
    const { SecretString } = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: secretName }),
    );
    const keyed = createHmac('sha256', SecretString ?? '')
      .update(canonical(desired))
      .digest('base64url')
      .slice(0, 22);
    expect(await storedDigest()).toBe(keyed);
    expect(JSON.stringify(await scanner.stateItems())).not.toContain(SecretString);
  });
});
