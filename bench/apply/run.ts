// bench/apply: Tidemark's apply engine against `kubectl apply --server-side` on the same API server and the same
// objects (ConfigMaps, Secrets, Services, ServiceAccounts, Roles, Deployments; 20 namespaces × 100 + the Namespaces =
// 2,020 by default), in one run. Prints ratios for cold apply time, steady-state time, write requests, and the agent's
// peak RSS.
//
//   npx tsx bench/apply/run.ts [--namespaces N] [--per-namespace N]   (needs `tidemark local up`)
//   npx tsx bench/apply/run.ts --namespaces 50 --per-namespace 200    (the ten-times size: 10,050 objects)
//   npx tsx bench/apply/run.ts --agent-only                           (only the agent's peak RSS)
//
// Each tool gets its own namespaces with identical content, so neither sees the other's objects
// (bench/support/bench-objects.ts says why Deployments have no replicas and Services are headless).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { exportsFor } from '../../local/environment';
import { readEnvironment } from '../../local/local-environment';
import { sleep } from '../../local/processes';
import { bundleAgent, startAgentProcess } from '../support/agent-process';
import { requestsBetween, scrapeRequestTotals } from '../support/api-requests';
import { type BenchSize, benchObjects, DEFAULT_SIZE, objectCount, yamlOf } from '../support/bench-objects';
import { createBenchRepo } from '../support/bench-repo';
import { reportFigures } from '../support/bench-report';
import { peakRssMb } from '../support/process-usage';

const env = readEnvironment();
if (!env) throw new Error('no local environment: run `tidemark local up` first');
Object.assign(process.env, exportsFor(env));
const root = join(import.meta.dirname, '../..');
const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
const run = Math.random().toString(36).slice(2, 7);
const { values: flags } = parseArgs({
  options: {
    namespaces: { type: 'string' },
    'per-namespace': { type: 'string' },
    'agent-only': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(
    'Usage: npx tsx bench/apply/run.ts [--namespaces N] [--per-namespace N] [--agent-only]  (see the header)',
  );
  process.exit(0);
}
const whole = (name: string, raw: string | undefined, fallback: number) => {
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, but ${raw} was given`);
  return n;
};
const size: BenchSize = {
  namespaces: whole('namespaces', flags.namespaces, DEFAULT_SIZE.namespaces),
  perNamespace: whole('per-namespace', flags['per-namespace'], DEFAULT_SIZE.perNamespace),
};
const NAMESPACES = size.namespaces;
const PER_NAMESPACE = size.perNamespace;
// The budgets: 150 MB for 2,020 objects, 300 MB for the ten-times size.
const rssTargetMb = objectCount(size) > 5000 ? 300 : 150;
const objectsFor = (prefix: string) => benchObjects(`${prefix}-${run}`, size);

function writeFolder(files: Map<string, KubeObject[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-apply-'));
  for (const [name, objects] of files) writeFileSync(join(dir, name), yamlOf(objects));
  return dir;
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
  const before = await scrapeRequestTotals(cluster);
  const started = performance.now();
  const result = spawnSync(
    'kubectl',
    ['apply', '--server-side', '--field-manager=bench-kubectl', '-R', '-f', dir, '-v=6'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`kubectl apply failed: ${result.stderr.slice(-2000)}`);
  const after = await scrapeRequestTotals(cluster);
  const clientRequests: Record<string, number> = {};
  // kubectl -v=6 logs one line per request: `round_trippers.go:…] PATCH https://…/path?query 200 OK in 3 milliseconds`.
  for (const match of result.stderr.matchAll(/round_trippers\.go:\d+\] ([A-Z]+) (\S+) \d{3}/g)) {
    const key = `${match[1]}${match[2]?.includes('dryRun=All') ? ' (dry-run)' : ''}`;
    clientRequests[key] = (clientRequests[key] ?? 0) + 1;
  }
  return {
    ms,
    clientRequests,
    clientWrites: writesIn(clientRequests),
    serverWrites: requestsBetween(before, after).writes,
  };
}

async function tidemarkApply(dir: string, name: string): Promise<Measured> {
  const before = await scrapeRequestTotals(cluster);
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'apply-once.ts'), dir, name],
    { encoding: 'utf8', cwd: root, env: process.env },
  );
  const ms = performance.now() - started;
  const after = await scrapeRequestTotals(cluster);
  const out = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
  if (out.outcome !== 'applied' && out.outcome !== 'progressing')
    throw new Error(`tidemark apply: ${out.outcome}: ${out.message} ${result.stderr}`);
  return {
    ms,
    clientRequests: out.requests,
    clientWrites: writesIn(out.requests),
    serverWrites: requestsBetween(before, after).writes,
    maxRssMb: out.maxRssMb,
    detail: JSON.stringify(out.changes),
  };
}

function writesIn(requests: Record<string, number>): number {
  return Object.entries(requests)
    .filter(([key]) => /^(POST|PUT|PATCH|DELETE)$/.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** The agent as a process: a Sync of the same objects from the local git server; peak RSS over two reconciles. */
async function agentPeakRss(files: Map<string, KubeObject[]>): Promise<{ maxRssMb: number; reconcileMs: number }> {
  const repo = await createBenchRepo(
    env!.git,
    `bench-${run}`,
    new Map([...files].map(([name, objects]) => [`apps/${name}`, yamlOf(objects)])),
  );
  repo.remove();
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

  // The agent as the image ships it: bundled with the Dockerfile's esbuild options, run with its Node flags.
  const work = mkdtempSync(join(tmpdir(), 'bench-agent-'));
  const agent = await startAgentProcess(await bundleAgent(join(work, 'bundle')), {
    cacheDir: join(work, 'cache'),
    logDir: work,
    args: ['--watch-namespace', syncNs],
  });
  const sync = { apiVersion: 'tidemark.dev/v1alpha1', kind: 'Sync', namespace: syncNs, name: 'bench' };
  const status = async () =>
    ((await cluster.get(sync))?.status ?? {}) as { lastAppliedRevision?: string; lastHandledRequestedAt?: string };
  const until = async (what: string, done: () => Promise<boolean>, timeoutMs: number) => {
    for (const deadline = Date.now() + timeoutMs; !(await done()); await sleep(250))
      if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs / 60_000} minutes`);
  };
  try {
    const started = performance.now();
    cluster.mapper.reset();
    await cluster.apply(
      {
        apiVersion: sync.apiVersion,
        kind: sync.kind,
        metadata: { name: 'bench', namespace: syncNs },
        spec: { url: repo.url, path: 'apps', secretRef: { name: 'git' }, maxPrunePercent: 100 },
      },
      { manager: 'bench' },
    );
    await until(
      'the agent applying the bench revision',
      async () => (await status()).lastAppliedRevision === repo.head,
      30 * 60_000,
    );
    const reconcileMs = performance.now() - started;
    // A second, steady-state reconcile, asked for as `tidemark reconcile` does.
    const requestedAt = new Date().toISOString();
    await cluster.mergePatch(sync, { metadata: { annotations: { 'tidemark.dev/requested-at': requestedAt } } });
    await until(
      'the steady-state reconcile',
      async () => (await status()).lastHandledRequestedAt === requestedAt,
      10 * 60_000,
    );
    return { maxRssMb: peakRssMb(agent.pid), reconcileMs };
  } finally {
    await agent.stop();
    rmSync(work, { recursive: true, force: true });
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
if (flags['agent-only']) {
  // Only the agent's memory, for iterating on it without the minutes kubectl takes.
  try {
    const agent = await agentPeakRss(objectsFor('ba'));
    console.log(
      `agent: ${(agent.reconcileMs / 1000).toFixed(2)} s, peak RSS ${agent.maxRssMb.toFixed(0)} MB (target ≤ ${rssTargetMb} MB)`,
    );
    reportFigures('apply', [
      {
        figure: `agent peak RSS (${total} objects)`,
        value: `${agent.maxRssMb.toFixed(0)} MB`,
        target: `≤ ${rssTargetMb} MB`,
        met: agent.maxRssMb <= rssTargetMb,
      },
    ]);
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
  console.log(
    `  agent peak RSS           ${agent.maxRssMb.toFixed(0)} MB                                ≤ ${rssTargetMb} MB`,
  );
  console.log('(client-side counts are exact; the server Δ also counts other clients of this shared API server)');
  const secs = (m: Measured) => `${(m.ms / 1000).toFixed(2)} s`;
  reportFigures('apply', [
    {
      figure: `cold apply, ${total} objects`,
      value: `${secs(tCold)} vs kubectl ${secs(kCold)}: ${ratio(kCold.ms, tCold.ms)}`,
      target: '≥ 2×',
      met: kCold.ms / tCold.ms >= 2,
    },
    {
      figure: 'steady state',
      value: `${secs(tSteady)} vs kubectl ${secs(kSteady)}: ${ratio(kSteady.ms, tSteady.ms)}`,
      target: '≥ 5×',
      met: kSteady.ms / tSteady.ms >= 5,
    },
    {
      figure: 'steady-state writes',
      value: `${tSteady.clientWrites} (kubectl ${kSteady.clientWrites})`,
      target: '0',
      met: tSteady.clientWrites === 0,
    },
    {
      figure: `agent peak RSS over two reconciles (first ${(agent.reconcileMs / 1000).toFixed(1)} s)`,
      value: `${agent.maxRssMb.toFixed(0)} MB`,
      target: `≤ ${rssTargetMb} MB`,
      met: agent.maxRssMb <= rssTargetMb,
    },
  ]);
} finally {
  await cleanup(['bk', 'bt', 'ba']);
  rmSync(kubectlDir, { recursive: true, force: true });
  rmSync(tidemarkDir, { recursive: true, force: true });
  cluster.close();
}
