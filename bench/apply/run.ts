// bench/apply: Tidemark's apply engine against `kubectl apply --server-side` on the same API server and the same
// 2,000 objects (ConfigMaps, Secrets, Services, ServiceAccounts, Roles, Deployments over 20 namespaces), in one run.
// Prints ratios for cold apply time, steady-state time, write requests, and the agent's peak RSS.
//
//   npx tsx bench/apply/run.ts                  (needs `tidemark local up`, or a running test environment)
//   npx tsx bench/apply/run.ts --agent-only     (only the agent's peak RSS)
//
// Each tool gets its own 20 namespaces with identical content, so neither sees the other's objects. Deployments have
// replicas: 0 so the benchmark measures the apply path, not the scheduler, on a two-core machine shared with others;
// Services are headless because the local cluster's Service IP range is smaller than 3 × 320 Services.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { stringify } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { exportsFor } from '../../local/environment';
import { readEnvironment } from '../../local/local-environment';

const env = readEnvironment();
if (!env) throw new Error('no local environment: run `tidemark local up` first');
Object.assign(process.env, exportsFor(env));
const root = join(import.meta.dirname, '../..');
const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
const run = Math.random().toString(36).slice(2, 7);
const NAMESPACES = 20;
const PER_NAMESPACE = 100;

function objectsFor(prefix: string): Map<string, KubeObject[]> {
  const files = new Map<string, KubeObject[]>();
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `${prefix}-${run}-${n}`;
    const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }];
    const kinds = ['ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'Service', 'Deployment'];
    for (let i = 0; i < PER_NAMESPACE; i++) {
      const kind = kinds[i % kinds.length];
      const name = `${kind?.toLowerCase()}-${i}`;
      const metadata = { name, namespace: ns, labels: { app: name } };
      if (kind === 'ConfigMap')
        objects.push({ apiVersion: 'v1', kind, metadata, data: { 'app.properties': `index=${i}\nmode=bench\n` } });
      if (kind === 'Secret')
        objects.push({
          apiVersion: 'v1',
          kind,
          metadata,
          type: 'Opaque',
          data: { token: Buffer.from(`secret-${i}`).toString('base64') },
        });
      if (kind === 'ServiceAccount') objects.push({ apiVersion: 'v1', kind, metadata });
      if (kind === 'Role')
        objects.push({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind,
          metadata,
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        });
      if (kind === 'Service')
        objects.push({
          apiVersion: 'v1',
          kind,
          metadata,
          spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        });
      if (kind === 'Deployment') {
        objects.push({
          apiVersion: 'apps/v1',
          kind,
          metadata,
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'nginx:1.27',
                    ports: [{ containerPort: 8080 }],
                    resources: { requests: { cpu: '10m', memory: '16Mi' } },
                  },
                ],
              },
            },
          },
        });
      }
    }
    files.set(`${ns}.yaml`, objects);
  }
  return files;
}

function writeFolder(files: Map<string, KubeObject[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-apply-'));
  for (const [name, objects] of files) writeFileSync(join(dir, name), objects.map((o) => stringify(o)).join('---\n'));
  return dir;
}

/** Non-dry-run write requests and all requests, from the API server's own counters (shared: other clients count too). */
async function serverCounts(): Promise<{ writes: number; dryRuns: number; all: number }> {
  const text = await cluster.getText('/metrics');
  let writes = 0;
  let dryRuns = 0;
  let all = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    if (verb === 'WATCH') continue;
    all += value;
    if (['CREATE', 'UPDATE', 'PATCH', 'APPLY', 'DELETE'].includes(verb)) {
      if (line.includes('dry_run=""')) writes += value;
      else dryRuns += value;
    }
  }
  return { writes, dryRuns, all };
}

interface Measured {
  ms: number;
  clientRequests: Record<string, number>;
  clientWrites: number;
  serverWrites: number;
  maxRssMb?: number;
  detail?: string;
}

async function kubectlApply(dir: string): Promise<Measured> {
  const before = await serverCounts();
  const started = performance.now();
  const result = spawnSync(
    'kubectl',
    ['apply', '--server-side', '--field-manager=bench-kubectl', '-R', '-f', dir, '-v=6'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`kubectl apply failed: ${result.stderr.slice(-2000)}`);
  const after = await serverCounts();
  const clientRequests: Record<string, number> = {};
  // kubectl -v=6 logs one line per request: `round_trippers.go:…] PATCH https://…/path?query 200 OK in 3 milliseconds`.
  for (const match of result.stderr.matchAll(/round_trippers\.go:\d+\] ([A-Z]+) (\S+) \d{3}/g)) {
    const key = `${match[1]}${match[2]?.includes('dryRun=All') ? ' (dry-run)' : ''}`;
    clientRequests[key] = (clientRequests[key] ?? 0) + 1;
  }
  return { ms, clientRequests, clientWrites: writesIn(clientRequests), serverWrites: after.writes - before.writes };
}

async function tidemarkApply(dir: string, name: string): Promise<Measured> {
  const before = await serverCounts();
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'apply-once.ts'), dir, name],
    { encoding: 'utf8', cwd: root, env: process.env },
  );
  const ms = performance.now() - started;
  const after = await serverCounts();
  const out = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
  if (out.outcome !== 'applied' && out.outcome !== 'progressing')
    throw new Error(`tidemark apply: ${out.outcome}: ${out.message} ${result.stderr}`);
  return {
    ms,
    clientRequests: out.requests,
    clientWrites: writesIn(out.requests),
    serverWrites: after.writes - before.writes,
    maxRssMb: out.maxRssMb,
    detail: JSON.stringify(out.changes),
  };
}

function writesIn(requests: Record<string, number>): number {
  return Object.entries(requests)
    .filter(([key]) => /^(POST|PUT|PATCH|DELETE)$/.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** The agent as a process: a Sync of the same 2,000 objects from the local git server; peak RSS over two reconciles. */
async function agentPeakRss(files: Map<string, KubeObject[]>): Promise<{ maxRssMb: number; reconcileMs: number }> {
  const repo = `bench-${run}`;
  const auth = `Basic ${Buffer.from(`${env!.git.username}:${env!.git.password}`).toString('base64')}`;
  const created = await fetch(`${env!.git.url}/_admin/repos/${repo}`, {
    method: 'POST',
    headers: { authorization: auth },
  });
  if (!created.ok) throw new Error(`creating bench repo failed: ${created.status}`);
  const url = `${env!.git.url}/${repo}.git`;
  const work = mkdtempSync(join(tmpdir(), 'bench-repo-'));
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      [
        '-c',
        'user.name=bench',
        '-c',
        'user.email=bench@localhost',
        '-c',
        `http.extraHeader=Authorization: ${auth}`,
        ...args,
      ],
      { cwd: work, stdio: 'pipe' },
    );
  git('init', '--quiet', '--initial-branch=main');
  mkdirSync(join(work, 'apps'));
  for (const [name, objects] of files)
    writeFileSync(join(work, 'apps', name), objects.map((o) => stringify(o)).join('---\n'));
  git('add', '-A');
  git('commit', '--quiet', '-m', 'bench');
  git('push', '--quiet', url, 'HEAD:refs/heads/main');
  const revision = git('rev-parse', 'HEAD').toString().trim();
  rmSync(work, { recursive: true, force: true });

  const syncNs = `bench-agent-${run}`;
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: syncNs } }, { manager: 'bench' });
  const crd = readFileSync(join(root, 'agent/deploy/base/crd.yaml'), 'utf8');
  execFileSync('kubectl', ['apply', '--server-side', '--field-manager=bench', '-f', '-'], {
    input: crd,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  await cluster.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'git', namespace: syncNs },
      stringData: { username: env!.git.username, password: env!.git.password },
    },
    { manager: 'bench' },
  );

  // The agent as the image ships it: cli/agent-main.ts bundled with the Dockerfile's esbuild options.
  const bundle = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  await build({
    entryPoints: [join(root, 'cli/agent-main.ts')],
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    entryNames: 'main',
    outdir: bundle,
    logLevel: 'warning',
  });
  const agent = spawn(
    process.execPath,
    [
      '--max-semi-space-size=2', // as agent/Dockerfile's ENTRYPOINT
      join(bundle, 'main.js'),
      'agent',
      '--port',
      '0',
      '--cache-dir',
      mkdtempSync(join(tmpdir(), 'bench-agent-')),
      '--watch-namespace',
      syncNs,
    ],
    { stdio: 'ignore', env: process.env },
  );
  const peak = () =>
    Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  try {
    const started = performance.now();
    cluster.mapper.reset();
    await cluster.apply(
      {
        apiVersion: 'tidemark.dev/v1alpha1',
        kind: 'Sync',
        metadata: { name: 'bench', namespace: syncNs },
        spec: { url, path: 'apps', secretRef: { name: 'git' }, maxPrunePercent: 100 },
      },
      { manager: 'bench' },
    );
    const ready = async () => {
      for (let i = 0; i < 1200; i++) {
        const sync = await cluster.get({
          apiVersion: 'tidemark.dev/v1alpha1',
          kind: 'Sync',
          namespace: syncNs,
          name: 'bench',
        });
        const status = (sync?.status ?? {}) as {
          lastAppliedRevision?: string;
          lastHandledRequestedAt?: string;
          conditions?: { type: string; status: string; message: string }[];
        };
        if (status.lastAppliedRevision === revision) return status;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error('the agent did not apply the bench revision in 5 minutes');
    };
    await ready();
    const reconcileMs = performance.now() - started;
    // A second, steady-state reconcile, asked for as `tidemark reconcile` does.
    const requestedAt = new Date().toISOString();
    await cluster.mergePatch(
      { apiVersion: 'tidemark.dev/v1alpha1', kind: 'Sync', namespace: syncNs, name: 'bench' },
      { metadata: { annotations: { 'tidemark.dev/requested-at': requestedAt } } },
    );
    for (let i = 0; i < 600; i++) {
      const sync = await cluster.get({
        apiVersion: 'tidemark.dev/v1alpha1',
        kind: 'Sync',
        namespace: syncNs,
        name: 'bench',
      });
      if ((sync?.status as { lastHandledRequestedAt?: string })?.lastHandledRequestedAt === requestedAt) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return { maxRssMb: peak(), reconcileMs };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((resolve) => agent.once('exit', resolve));
    await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name: syncNs });
  }
}

async function cleanup(prefixes: string[]): Promise<void> {
  await cluster.delete({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'default',
    name: `tidemark-inventory-bench-${run}`,
  });
  for (const prefix of prefixes) {
    for (let n = 0; n < NAMESPACES; n++)
      await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name: `${prefix}-${run}-${n}` });
  }
}

const ratio = (baseline: number, ours: number) => (ours === 0 ? '∞' : `${(baseline / ours).toFixed(1)}×`);
const fmt = (m: Measured) =>
  `${(m.ms / 1000).toFixed(2)} s, writes ${m.clientWrites} (server Δ ${m.serverWrites}), requests ${JSON.stringify(m.clientRequests)}`;

const kubectlDir = writeFolder(objectsFor('bk'));
const tidemarkDir = writeFolder(objectsFor('bt'));
const total = NAMESPACES * (PER_NAMESPACE + 1);
console.log(
  `bench/apply: ${total} objects (${NAMESPACES} namespaces × ${PER_NAMESPACE} + the Namespaces), API server ${env.kube.server}`,
);
if (process.argv.includes('--agent-only')) {
  // Only the agent's memory, for iterating on it without the minutes kubectl takes.
  try {
    const agent = await agentPeakRss(objectsFor('ba'));
    console.log(
      `agent: ${(agent.reconcileMs / 1000).toFixed(2)} s, peak RSS ${agent.maxRssMb.toFixed(0)} MB (target ≤ 150 MB)`,
    );
  } finally {
    await cleanup(['ba']);
    rmSync(kubectlDir, { recursive: true, force: true });
    rmSync(tidemarkDir, { recursive: true, force: true });
    cluster.close();
  }
  process.exit(0);
}
try {
  const kCold = await kubectlApply(kubectlDir);
  const tCold = await tidemarkApply(tidemarkDir, `bench-${run}`);
  const kSteady = await kubectlApply(kubectlDir);
  const tSteady = await tidemarkApply(tidemarkDir, `bench-${run}`);
  const agent = await agentPeakRss(objectsFor('ba'));
  console.log(`kubectl  cold:   ${fmt(kCold)}`);
  console.log(`tidemark cold:   ${fmt(tCold)}, peak RSS ${tCold.maxRssMb?.toFixed(0)} MB, ${tCold.detail}`);
  console.log(`kubectl  steady: ${fmt(kSteady)}`);
  console.log(`tidemark steady: ${fmt(tSteady)}, peak RSS ${tSteady.maxRssMb?.toFixed(0)} MB, ${tSteady.detail}`);
  console.log(
    `agent: first reconcile of ${total} objects from git in ${(agent.reconcileMs / 1000).toFixed(2)} s; peak RSS over two reconciles ${agent.maxRssMb.toFixed(0)} MB`,
  );
  console.log('');
  console.log('ratio (kubectl ÷ tidemark; higher is better for tidemark)        target');
  console.log(`  cold apply time          ${ratio(kCold.ms, tCold.ms).padEnd(10)}                      ≥ 2×`);
  console.log(`  steady-state time        ${ratio(kSteady.ms, tSteady.ms).padEnd(10)}                      ≥ 5×`);
  console.log(
    `  steady-state writes      kubectl ${kSteady.clientWrites}, tidemark ${tSteady.clientWrites}                 tidemark 0`,
  );
  console.log(`  agent peak RSS           ${agent.maxRssMb.toFixed(0)} MB                                ≤ 150 MB`);
  console.log('(client-side counts are exact; the server Δ also counts other clients of this shared API server)');
} finally {
  await cleanup(['bk', 'bt', 'ba']);
  rmSync(kubectlDir, { recursive: true, force: true });
  rmSync(tidemarkDir, { recursive: true, force: true });
  cluster.close();
}
