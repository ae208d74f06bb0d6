import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { type RunningUi, startUi } from '../../cli/ui/server';
import { deploymentEvent } from '../../core/notify/deployment-event';
import { ChangeSet } from '../../core/sync/change-set';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import type { SyncOutcome } from '../../core/sync/sync-outcome';
import { type SyncStatus, statusAfter } from '../../core/sync/sync-status';
import { recordDeploymentEvent } from '../../engine/promotion/promotion-records';
import { installSyncCrd, kubeconfigWithToken, serviceAccountToken } from '../support/agent';
import { uniqueNamespace } from '../support/cluster';
import { localEnv, uniqueName } from '../support/local-env';

// The `tidemark ui` server as an attacker on the same machine, or a web page in the user's browser, would meet it:
// a foreign Host header (DNS rebinding), a POST without the token or from another origin (CSRF), markup in a Sync's
// status, and a user whose kubeconfig may read Syncs but not patch them. Real Syncs on the local API server, their
// statuses written through the status subresource as the agent writes them (core/sync/sync-status.ts).

const R1 = 'c0ffee'.padEnd(40, '1');
let ns: string;
let cluster: ClusterClient;
let ui: RunningUi;
let readOnlyUi: RunningUi;

/** One HTTP request with headers fetch() would not let us forge (Host). */
function send(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const form = (token: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ token }).toString(),
});

async function setStatus(name: string, outcomes: SyncOutcome[]): Promise<void> {
  const status = outcomes.reduce<SyncStatus>((s, o) => statusAfter(s, o, { now: new Date(), subject: 'Add web' }), {});
  await cluster.mergePatch({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name }, { status }, 'status');
}

beforeAll(async () => {
  cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('ui-server');
  for (const name of ['web', 'hostile']) {
    await cluster.apply(
      {
        apiVersion: syncApiVersion,
        kind: syncKind,
        metadata: { name, namespace: ns },
        spec: { url: 'https://github.com/acme/config.git', path: 'clusters/dev' },
      },
      { manager: 'tidemark-tests' },
    );
  }
  const applied: SyncOutcome = {
    kind: 'applied',
    revision: R1,
    changeSet: new ChangeSet(),
    inventory: { entries: [] },
    health: { current: 0, inProgress: 0, failed: 0, notReady: [] },
  };
  await setStatus('web', [applied]);
  await setStatus('hostile', [
    applied,
    { kind: 'render-failed', revision: R1, message: 'x.yaml: <script>alert("owned")</script> & <img src=x onerror=1>' },
  ]);

  // A user who may read Syncs in the namespace and nothing more.
  await cluster.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'viewer', namespace: ns } });
  await cluster.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'sync-viewer', namespace: ns },
    rules: [{ apiGroups: ['tidemark.dev'], resources: ['syncs'], verbs: ['get', 'list', 'watch'] }],
  });
  await cluster.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'sync-viewer', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sync-viewer' },
    subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns }],
  });
  const viewer = kubeconfigWithToken(
    join(mkdtempSync(join(tmpdir(), 'ui-viewer-')), 'kubeconfig'),
    await serviceAccountToken(cluster, ns, 'viewer'),
  );
  ui = await startUi({ port: 0, namespace: ns, cluster: 'local', kubeconfig: process.env.KUBECONFIG! });
  readOnlyUi = await startUi({ port: 0, namespace: ns, cluster: 'local', kubeconfig: viewer });
});

afterAll(async () => {
  await ui?.close();
  await readOnlyUi?.close();
  cluster.close();
});

describe('the tidemark ui server', () => {
  it('listens on 127.0.0.1 only and prints an http://127.0.0.1 URL', async () => {
    expect(ui.url).toBe(`http://127.0.0.1:${ui.port}/`);
    await expect(fetch(`http://[::1]:${ui.port}/`)).rejects.toThrow();
  });

  it('refuses a request whose Host is not 127.0.0.1 or localhost at its port (DNS rebinding)', async () => {
    for (const host of [
      `evil.example:${ui.port}`,
      `127.0.0.1.evil.example:${ui.port}`,
      `127.0.0.1:${ui.port + 1}`,
      'localhost',
    ]) {
      const r = await send(ui.port, { path: '/syncs', headers: { host } });
      expect(r.status, host).toBe(421);
      expect(r.body).not.toContain('web');
    }
    const evilPost = await send(ui.port, {
      path: `/syncs/${ns}/web/reconcile`,
      ...form('x'),
      headers: { host: 'evil.example' },
    });
    expect(evilPost.status).toBe(421);
    expect((await send(ui.port, { path: '/syncs', headers: { host: `localhost:${ui.port}` } })).status).toBe(200);
  });

  it('refuses a POST without the token, with a wrong one, or from another origin, and changes nothing', async () => {
    const host = { host: `127.0.0.1:${ui.port}` };
    const path = `/syncs/${ns}/web/reconcile`;
    const none = await send(ui.port, { path, method: 'POST', headers: host, body: '' });
    expect(none.status).toBe(403);
    expect(none.body).toContain('the form token is missing or wrong');
    const wrong = await send(ui.port, {
      path,
      ...form('not-the-token'),
      headers: { ...host, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrong.status).toBe(403);
    const confirm = await send(ui.port, { path, headers: host });
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1];
    expect(token).toMatch(/^[\w-]{43}$/);
    const foreign = await send(ui.port, {
      path,
      ...form(token!),
      headers: { ...host, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(foreign.status).toBe(403);
    const sync = await cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name: 'web' });
    expect(sync?.metadata.annotations?.['tidemark.dev/requested-at']).toBeUndefined();
  });

  it('reconciles after the confirmation, with the token from its form', async () => {
    const host = { host: `127.0.0.1:${ui.port}` };
    const path = `/syncs/${ns}/web/reconcile`;
    const token = /name="token" value="([^"]+)"/.exec((await send(ui.port, { path, headers: host })).body)?.[1];
    const r = await send(ui.port, {
      path,
      ...form(token!),
      headers: { ...host, origin: `http://127.0.0.1:${ui.port}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`/syncs/${ns}/web`);
    const sync = await cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name: 'web' });
    expect(Date.parse(String(sync?.metadata.annotations?.['tidemark.dev/requested-at']))).toBeGreaterThan(
      Date.now() - 60_000,
    );
  });

  it('offers no reconcile to a user who may not patch the Sync, and refuses the POST (SelfSubjectAccessReview)', async () => {
    const host = { host: `127.0.0.1:${readOnlyUi.port}` };
    const page = await send(readOnlyUi.port, { path: `/syncs/${ns}/web`, headers: host });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Your kubeconfig may not patch this Sync');
    expect(page.body).not.toContain('Reconcile now…');
    const confirm = await send(readOnlyUi.port, { path: `/syncs/${ns}/web/reconcile`, headers: host });
    expect(confirm.status).toBe(403);
    expect(confirm.body).not.toContain('name="token"');
  });

  it('shows markup from a status as text, under a policy that runs only its own script', async () => {
    const r = await send(ui.port, { path: `/syncs/${ns}/hostile`, headers: { host: `127.0.0.1:${ui.port}` } });
    expect(r.body).toContain(
      'x.yaml: &lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=1&gt;',
    );
    expect(r.body).not.toContain('<script>alert');
    expect(r.body).not.toContain('<img src=x');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    const syncs = await send(ui.port, { path: '/syncs', headers: { host: `127.0.0.1:${ui.port}` } });
    expect(syncs.body).toContain('&lt;script&gt;');
    expect(syncs.body).not.toContain('<script>alert');
  });

  it("shows each pipeline's stages and where a candidate stands, from a checkout and the State table", async () => {
    const repository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
    const dev = uniqueName('dev');
    const pipeline = uniqueName('web'); // the stage ledger in the shared State table is per pipeline
    const dir = mkdtempSync(join(tmpdir(), 'ui-promotions-'));
    mkdirSync(join(dir, '.tidemark'));
    writeFileSync(
      join(dir, '.tidemark/images.yaml'),
      `policies:\n  - { name: web-prod, repository: ${repository}, strategy: { semver: ">=1.0.0" }, update: { paths: [clusters/prod] } }\n`,
    );
    writeFileSync(
      join(dir, '.tidemark/promotions.yaml'),
      `pipelines:\n  - name: ${pipeline}\n    stages:\n      - { name: dev, cluster: ${dev} }\n      - { name: prod, cluster: ${uniqueName('prod')}, policies: [web-prod], gates: { soak: 1h } }\n`,
    );
    const table = localEnv().resources.tableName;
    await recordDeploymentEvent(
      new VersionedItems(table),
      deploymentEvent({
        at: new Date(Date.now() - 10 * 60_000).toISOString(),
        cluster: dev,
        sync: { namespace: 'tidemark-system', name: 'dev' },
        repo: 'https://git.example.com/config.git',
        revision: 'e'.repeat(40),
        kind: 'deployed',
        reason: 'ReconciliationSucceeded',
        images: [{ name: `${repository}:1.4.0`, digest: `sha256:${'d'.repeat(64)}` }],
      }),
    );
    const promotions = await startUi({
      port: 0,
      namespace: ns,
      kubeconfig: process.env.KUBECONFIG!,
      checkout: dir,
      table,
    });
    try {
      const r = await send(promotions.port, { path: '/promotions', headers: { host: `127.0.0.1:${promotions.port}` } });
      expect(r.status).toBe(200);
      expect(r.body).toContain(`Pipeline ${pipeline}`);
      expect(r.body).toMatch(
        /<th scope="row">prod<\/th><td>prod-[a-z0-9]+<\/td><td>web-prod<\/td><td><code>1\.4\.0@sha256:dddddddddddd<\/code> from dev<\/td>/,
      );
      expect(r.body).toContain('waiting');
      expect(r.body).toMatch(/soak: healthy in dev for 10m(\d+s)? of 1h/);
      // Without a checkout, the page says what it needs instead.
      const without = await send(ui.port, { path: '/promotions', headers: { host: `127.0.0.1:${ui.port}` } });
      expect(without.body).toContain('Promotions need a checkout of the config repo');
    } finally {
      await promotions.close();
    }
  });
});
