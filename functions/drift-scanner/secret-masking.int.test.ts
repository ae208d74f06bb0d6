import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { syncFolder } from '../../engine/sync/sync-folder';
import { uniqueNamespace } from '../../test/support/cluster';
import { openScanner, type ScannerHarness } from '../../test/support/drift-scanner';

// A Secret whose live object lost a whole map that Git sets (`data` removed by hand): the drift names the map, and the
// values under it never leave the scanner: not on Slack, not on SNS, not in the State table, not in a log line.

const kubectl = (...args: string[]) => execFileSync('kubectl', args, { stdio: 'pipe' }).toString();
const password = `canary-${Math.random().toString(36).slice(2, 10)}`;
const encoded = Buffer.from(password).toString('base64');

const secret = (ns: string) => `
apiVersion: v1
kind: Secret
metadata: { name: db, namespace: ${ns} }
data:
  password: ${encoded}
`;

describe('drift of a Secret whose live object has no data at all', () => {
  let ns: string;
  let scanner: ScannerHarness;

  beforeAll(async () => {
    ns = await uniqueNamespace('mask');
    scanner = await openScanner({
      files: { 'clusters/x/secret.yaml': secret(ns) },
      path: 'clusters/x',
      prefix: 'mask',
    });
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-mask-'));
    writeFileSync(join(dir, 'secret.yaml'), secret(ns));
    const client = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
    await syncFolder(client, {
      sync: { namespace: 'tidemark-system', name: scanner.cluster },
      dir,
      revision: scanner.repo.head(),
      prune: false,
      maxPruneShare: 0,
    });
    client.close();
    kubectl('-n', ns, 'patch', 'secret', 'db', '--type=json', '-p', '[{"op":"remove","path":"/data"}]');
  });

  it('names the missing map with its keys, every value masked', async () => {
    const result = await scanner.run();
    expect(result.alerts).toEqual(['appeared']);
    expect(result.outcome).toMatchObject({
      kind: 'scanned',
      report: {
        findings: [{ kind: 'modified', fields: [{ path: 'data', desired: { password: '(hidden)' } }] }],
      },
    });
  });

  it('leaves the value out of Slack, SNS, the State table and the log', async () => {
    await scanner.run();
    const places = {
      slack: JSON.stringify(await scanner.slackPosts()),
      sns: JSON.stringify(await scanner.snsMessages()),
      state: JSON.stringify(await scanner.stateItems()),
      log: scanner.logLines().join('\n'),
    };
    // Each place was written to (an empty place proves nothing) and holds neither the value nor its base64.
    expect(places.slack).toContain('data');
    expect(places.sns).toContain('data');
    expect(places.state).toContain('drift-cache');
    expect(places.log).toContain('drift scan done');
    const leaked = Object.entries(places).filter(([, text]) => text.includes(password) || text.includes(encoded));
    expect(leaked.map(([place]) => place)).toEqual([]);
  });
});
