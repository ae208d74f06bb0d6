import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { ChangeSet } from '../../core/sync/change-set';
import type { KubeObject } from '../../core/sync/kube-object';
import { withOwnership } from '../../core/sync/ownership';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import type { SyncOutcome } from '../../core/sync/sync-outcome';
import { type SyncStatus, statusAfter } from '../../core/sync/sync-status';
import type { SyncSummary } from '../../core/sync/sync-view';
import { installSyncCrd } from '../../test/support/agent';
import { uniqueNamespace } from '../../test/support/cluster';
import { eventually } from '../../test/support/eventually';

// `tidemark get`, `status` and `wait` as users and CI run them: the real CLI process, reading the real local API
// server with the kubeconfig of the environment. The Syncs carry the statuses the agent writes after each outcome
// (core/sync/sync-status.ts), set through the status subresource as the agent sets them.

const R1 = 'c0ffee'.padEnd(40, '1');
const R2 = 'badbad'.padEnd(40, '2');
let ns: string;
let cluster: ClusterClient;

function tidemark(args: string[]) {
  const r = spawnSync(process.execPath, ['cli/bin.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const health = (current: number, inProgress: number, failed: number, notReady: string[] = []) => ({
  current,
  inProgress,
  failed,
  notReady,
});
const applied = (
  revision: string,
  kind: 'applied' | 'progressing' | 'health-failed' = 'applied',
  h = health(1, 0, 0),
): SyncOutcome => ({
  kind,
  revision,
  changeSet: new ChangeSet(),
  inventory: { entries: [{ id: `${ns}_web_apps_Deployment`, v: 'v1' }] },
  health: h,
});

async function syncWith(
  name: string,
  outcomes: SyncOutcome[],
  spec: Record<string, unknown> = {},
  subject?: string,
): Promise<void> {
  await cluster.apply(
    {
      apiVersion: syncApiVersion,
      kind: syncKind,
      metadata: { name, namespace: ns },
      spec: { url: 'https://git.example.com/acme/config.git', path: 'clusters/dev', ...spec },
    },
    { manager: 'tidemark-tests' },
  );
  const live = await cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name });
  if (outcomes.length === 0) return;
  await setStatus(name, outcomes, live?.metadata.generation, subject);
}

async function setStatus(name: string, outcomes: SyncOutcome[], generation?: number, subject?: string): Promise<void> {
  const status = outcomes.reduce<SyncStatus>(
    (s, o) => statusAfter(s, o, { now: new Date(Date.now() - 30_000), generation, subject }),
    {},
  );
  await cluster.mergePatch({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name }, { status }, 'status');
}

beforeAll(async () => {
  cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('cli-get');
  // What a Sync applied: a Deployment whose ReplicaSet and Pods the controllers make (kwok runs the Pods).
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1.2.0' }] } },
    },
  };
  await cluster.apply(withOwnership(deployment, { namespace: ns, name: 'healthy' }), { manager: 'tidemark' });
  await syncWith('healthy', [applied(R1)], {}, 'Update web to 1.2.0');
  await syncWith('rolling', [
    applied(R1),
    applied(R1, 'progressing', health(0, 1, 0, ['Deployment/x/web: 0/2 available'])),
  ]);
  await syncWith('degraded', [
    applied(R1),
    applied(R1, 'health-failed', health(0, 0, 1, ['Deployment/x/web: ProgressDeadlineExceeded'])),
  ]);
  await syncWith('broken', [
    applied(R1),
    {
      kind: 'render-failed',
      revision: R2,
      message: 'web.yaml (document 0): is not valid YAML at line 3. Fix the YAML syntax',
    },
  ]);
  await syncWith('offline', [applied(R1), { kind: 'fetch-failed', message: 'Fetching x failed: ECONNREFUSED' }]);
  await syncWith('refused', [
    applied(R1),
    { kind: 'prune-refused', revision: R2, message: 'would delete 4 of 5 objects (80%)', changeSet: new ChangeSet() },
  ]);
  await syncWith('invalid', [
    { kind: 'spec-invalid', message: "spec.interval: is not a duration. Fix the Sync's spec." },
  ]);
  await syncWith('new', []);
  await syncWith('paused', [applied(R1)], { suspend: true });
});

describe('tidemark get', () => {
  it('lists Syncs in every condition with revision and subject, readiness, reason, last sync, health and drift', () => {
    const r = tidemark(['get', '-n', ns]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+REVISION\s+SUSPENDED\s+READY\s+REASON\s+LAST SYNC\s+HEALTH\s+DRIFT$/);
    const rows = Object.fromEntries(lines.slice(1).map((l) => [l.split(/\s+/)[0], l.split(/\s{3,}/)]));
    const ago = expect.stringMatching(/^\d+s$/);
    expect(rows.healthy).toEqual([
      'healthy',
      'c0ffee1 Update web to 1.2.0',
      'False',
      'True',
      'ReconciliationSucceeded',
      ago,
      '1/1',
      '0',
    ]);
    expect(rows.rolling?.slice(3, 5)).toEqual(['False', 'Progressing']);
    expect(rows.degraded?.slice(3, 7)).toEqual(['False', 'HealthCheckFailed', ago, '0/1 (1 failed)']);
    expect(rows.broken?.slice(1, 5)).toEqual(['c0ffee1', 'False', 'False', 'RenderFailed']);
    expect(rows.offline?.[4]).toBe('FetchFailed');
    expect(rows.refused?.[4]).toBe('PruneRefused');
    expect(rows.invalid?.slice(1, 5)).toEqual(['-', 'False', 'False', 'InvalidSpec']);
    expect(rows.new?.slice(3, 5)).toEqual(['Unknown', 'NotReconciled']);
    expect(rows.paused?.slice(2, 4)).toEqual(['True', 'True']);
  });

  it('prints the summaries as JSON, across namespaces with -A', () => {
    const r = tidemark(['get', '-A', '-o', 'json']);
    expect(r.code).toBe(0);
    const mine = (JSON.parse(r.stdout) as SyncSummary[]).filter((s) => s.namespace === ns);
    expect(mine.map((s) => s.name).sort()).toEqual(
      ['broken', 'degraded', 'healthy', 'invalid', 'new', 'offline', 'paused', 'refused', 'rolling'].sort(),
    );
    expect(mine.find((s) => s.name === 'broken')).toMatchObject({
      ready: 'False',
      reason: 'RenderFailed',
      stalled: true,
      revision: R1,
      attemptedRevision: R2,
    });
  });

  it('prints a row when a Sync changes, with --watch', async () => {
    const child = spawn(process.execPath, ['cli/bin.js', 'get', '-n', ns, '--watch', '-o', 'json']);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      await eventually(async () => out.split('\n').filter(Boolean).length >= 9, 30_000, 'the first list');
      await setStatus('rolling', [applied(R1)], 1);
      const change = await eventually(
        async () =>
          out
            .split('\n')
            .filter((l) => l.includes('"type"'))
            .map((l) => JSON.parse(l) as { type: string; sync: SyncSummary })
            .find((e) => e.sync.name === 'rolling' && e.sync.ready === 'True'),
        30_000,
        'the watched change',
      );
      expect(change.type).toBe('MODIFIED');
    } finally {
      child.kill('SIGINT');
    }
  });
});

describe('tidemark status', () => {
  it("shows one Sync's readiness, its objects' health tree, inventory and events", async () => {
    // The Deployment's Pod is run by kwok; wait until the controllers made it.
    await eventually(async () => (await cluster.list('v1', 'Pod', { namespace: ns })).length > 0, 60_000, 'the Pod');
    await cluster.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `healthy.${Date.now().toString(16)}`, namespace: ns },
      involvedObject: { apiVersion: syncApiVersion, kind: syncKind, name: 'healthy', namespace: ns },
      type: 'Normal',
      reason: 'Applied',
      message: `Revision ${R1}: Deployment/${ns}/web configured`,
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      count: 1,
    });
    const r = tidemark(['status', 'healthy', '-n', ns]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Sync ${ns}/healthy`);
    expect(r.stdout).toContain('Ready:      True ReconciliationSucceeded: Applied revision c0ffee');
    expect(r.stdout).toContain('Inventory:  1 objects');
    expect(r.stdout).toMatch(new RegExp(`\\n  Deployment/${ns}/web +(Current|InProgress)`));
    expect(r.stdout).toMatch(new RegExp(`\\n    ReplicaSet/${ns}/web-\\w+ +\\w+`));
    expect(r.stdout).toMatch(new RegExp(`\\n      Pod/${ns}/web-\\w+-\\w+ +\\w+`));
    expect(r.stdout).toMatch(/Events\n +\d+s +Normal +Applied +Revision c0ffee/);
  });

  it('exits 1 for a Sync that is not Ready, and names a missing one', () => {
    expect(tidemark(['status', 'broken', '-n', ns]).code).toBe(1);
    const missing = tidemark(['status', 'nope', '-n', ns]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`Sync ${ns}/nope does not exist. List them with 'tidemark get -A'`);
  });
});

describe('tidemark wait', () => {
  it('exits 0 once the Sync is Ready at the revision', () => {
    const r = tidemark(['wait', 'healthy', '-n', ns, '--for', 'revision=c0ffee1', '--timeout', '10s']);
    expect(r.stderr).toContain(`Sync ${ns}/healthy is Ready at revision c0ffee1`);
    expect(r.code).toBe(0);
  });

  it('times out with the reason, saying where the Sync is', () => {
    const r = tidemark(['wait', 'degraded', '-n', ns, '--for', 'ready', '--timeout', '3s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `tidemark: Sync ${ns}/degraded was not Ready within 3s: Ready False, HealthCheckFailed: Applied revision ${R1}; 1 objects failed: Deployment/x/web: ProgressDeadlineExceeded\n`,
    );
  });

  it('fails at once when the revision cannot be applied, rather than waiting out the timeout', () => {
    const started = Date.now();
    const r = tidemark(['wait', 'broken', '-n', ns, '--for', `revision=${R2}`, '--timeout', '5m']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'revision badbad2 cannot be applied: RenderFailed: web.yaml (document 0): is not valid YAML at line 3',
    );
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('waits while the revision is being applied and exits 0 when it is', async () => {
    const child = spawn(process.execPath, [
      'cli/bin.js',
      'wait',
      'offline',
      '-n',
      ns,
      '--for',
      `revision=${R2}`,
      '--timeout',
      '60s',
    ]);
    const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 3000));
    await setStatus('offline', [applied(R2)], 1);
    expect(await code).toBe(0);
  });

  it('refuses a condition it does not know, with exit 2', () => {
    const r = tidemark(['wait', 'healthy', '-n', ns, '--for', 'healthy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--for 'healthy' is not a condition. Use --for ready or --for revision=SHA");
  });
});

describe('get, status and wait without a cluster to read', () => {
  it('name a kubeconfig they cannot read and the fix, without a stack trace', () => {
    const runs = [
      tidemark(['get', '--kubeconfig', '/nonexistent/kubeconfig']),
      tidemark(['status', 'healthy', '--kubeconfig', '/nonexistent/kubeconfig']),
      tidemark(['wait', 'healthy', '--for', 'ready', '--kubeconfig', '/nonexistent/kubeconfig']),
    ];
    expect(runs.map((r) => r.code)).toEqual([1, 1, 2]); // wait: 2 is its usage error, 1 a condition not met
    for (const r of runs) {
      expect(r.stderr).toMatch(
        /^tidemark: kubeconfig \/nonexistent\/kubeconfig cannot be read: .*Pass --kubeconfig or set KUBECONFIG\n$/,
      );
    }
  });

  it('wait says the API server does not answer, rather than that the Sync does not exist', () => {
    // The environment's kubeconfig with the server moved to a port nothing listens on: an API server that is down.
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-wait-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        readFileSync(process.env.KUBECONFIG!, 'utf8').replace(
          /server: https:\/\/127\.0\.0\.1:\d+/,
          'server: https://127.0.0.1:9',
        ),
      );
      const r = tidemark([
        'wait',
        'healthy',
        '-n',
        ns,
        '--for',
        'ready',
        '--timeout',
        '2s',
        '--kubeconfig',
        kubeconfig,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/was not Ready within 2s: the Sync cannot be read: .*ECONNREFUSED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
