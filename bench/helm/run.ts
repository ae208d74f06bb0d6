// bench/helm: Tidemark's Helm path (render with the real Helm, staged server-side apply, hooks) against
// `helm upgrade --install` on the same API server, with the same charts and values, in one run. For each corpus chart:
// install into an empty namespace, the first reconcile after it (Helm: a second `upgrade --install`), then steady-state
// reconciles of the same inputs (`--steady N` of them, averaged; Helm: as many more upgrades). Prints wall time and API writes
// (from the API server's own /metrics counters, less leases, node status and Events, which the control plane writes
// on its own), and the ratios the issue sets as targets: install ≥ 1.5× faster, steady state ≥ 10× faster with 0 writes.
//
//   npx tsx bench/helm/run.ts                         (needs `tidemark local up`, or a running test environment)
//   npx tsx bench/helm/run.ts --charts podinfo,metrics-server,ingress-nginx,karpenter-crd,redis --rounds 3 --steady 3
//
// Both tools get their own namespace per chart and round, so neither sees the other's objects. Helm runs without
// --wait (Tidemark's apply does not wait for health either; both wait for hook Jobs, as Helm always does).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { credentialsFromKubeconfig } from '../../adapters/kubernetes/kube-credentials';
import { parseHelmSource } from '../../core/helm/chart-source';
import { apiVersionOf, type Inventory } from '../../core/sync/inventory';
import { parseObjectKey } from '../../core/sync/object-id';
import { helmBinary } from '../../engine/render/helm-chart';
import { syncRelease } from '../../engine/sync/sync-release';
import { exportsFor } from '../../local/environment';
import { readEnvironment } from '../../local/local-environment';
import { corpusPath } from '../../test/support/corpus';
import { reportFigures } from '../support/bench-report';

const run = promisify(execFile);
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
// Namespaced charts only: two releases of a chart with cluster-scoped objects of fixed names (karpenter's CRDs) would
// fight over them. Real Helm checks kubeVersion and semverCompare against the API server's gitVersion, so this needs
// a version-stamped local API server (local/k8s/build.sh stamps it).
const charts = option('charts', 'podinfo,metrics-server,ingress-nginx,redis').split(',');
const rounds = Number(option('rounds', '1'));
const steadyRuns = Number(option('steady', '1'));
if (!Number.isInteger(steadyRuns) || steadyRuns < 1) throw new Error(`--steady must be 1 or more, not ${steadyRuns}`);
/** Values each chart needs to install (the two required values), the same for both tools. */
const valuesFor: Record<string, string> = {
  karpenter: 'settings:\n  clusterName: bench\n',
  'aws-load-balancer-controller': 'clusterName: bench\n',
};

const env = readEnvironment();
if (!env) throw new Error('no local environment: run `tidemark local up` first');
Object.assign(process.env, exportsFor(env));
const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
const helm = helmBinary();
const id = Math.random().toString(36).slice(2, 6);
const repo = mkdtempSync(join(tmpdir(), 'bench-helm-'));
for (const chart of charts) cpSync(corpusPath('helm-charts', chart), join(repo, 'charts', chart), { recursive: true });

/** Writes counted by the API server, leaving out what the control plane writes by itself. */
async function serverWrites(): Promise<number> {
  const text = await cluster.getText('/metrics');
  let writes = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    if (!['POST', 'CREATE', 'UPDATE', 'PATCH', 'APPLY', 'DELETE'].includes(verb)) continue;
    if (!line.includes('dry_run=""') || ['leases', 'nodes', 'events'].includes(resource)) continue;
    writes += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return writes;
}

async function measure(work: () => Promise<unknown>, times = 1): Promise<{ ms: number; writes: number }> {
  const before = await serverWrites();
  const started = performance.now();
  for (let i = 0; i < times; i++) await work();
  const ms = (performance.now() - started) / times;
  return { ms, writes: ((await serverWrites()) - before) / times };
}

async function namespace(name: string): Promise<void> {
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

async function helmUpgradeInstall(chart: string, ns: string, valuesFile?: string): Promise<void> {
  const argv = [
    'upgrade',
    '--install',
    chart,
    join(repo, 'charts', chart),
    '-n',
    ns,
    '--kubeconfig',
    env!.kube.kubeconfigPath,
  ];
  if (valuesFile) argv.push('-f', valuesFile);
  await run(helm, argv, { maxBuffer: 64 << 20 });
}

type Measured = { ms: number; writes: number };
type Row = { chart: string; tool: string; install: Measured; first: Measured; steady: Measured };
const rows: Row[] = [];
for (let round = 0; round < rounds; round++) {
  for (const chart of charts) {
    const values = valuesFor[chart];
    const valuesFile = values ? join(repo, `${chart}-values.yaml`) : undefined;
    if (valuesFile) writeFileSync(valuesFile, values as string);

    const helmNs = `bh-${id}-${round}-${chart}`.slice(0, 63);
    await namespace(helmNs);
    const helmRelease = () => helmUpgradeInstall(chart, helmNs, valuesFile);
    const helmInstall = await measure(helmRelease);
    const helmFirst = await measure(helmRelease);
    const helmSteady = await measure(helmRelease, steadyRuns);
    rows.push({ chart, tool: 'helm', install: helmInstall, first: helmFirst, steady: helmSteady });

    const ns = `bt-${id}-${round}-${chart}`.slice(0, 63);
    await namespace(ns);
    const parsed = parseHelmSource({
      chart: { path: `charts/${chart}` },
      releaseName: chart,
      targetNamespace: ns,
      ...(values ? { values: (await import('yaml')).parse(values) } : {}),
    });
    if (!parsed.ok) throw new Error(parsed.message);
    const sync = { namespace: ns, name: chart };
    const lookupAs = credentialsFromKubeconfig(env.kube.kubeconfigPath);
    let previous: Inventory | undefined;
    let previousRelease: { revision: string } | undefined;
    const reconcile = async () => {
      const result = await syncRelease(cluster, {
        sync,
        dir: repo,
        repoRoot: repo,
        revision: 'bench',
        helm: parsed.source,
        previous,
        previousRelease,
        prune: true,
        maxPruneShare: 0.5,
        lookupAs,
      });
      if (!['applied', 'progressing'].includes(result.outcome.kind))
        throw new Error(
          `${chart}: ${result.outcome.kind}: ${'message' in result.outcome ? result.outcome.message : ''}`,
        );
      if ('inventory' in result.outcome) previous = result.outcome.inventory;
      previousRelease = result.release;
    };
    const tidemarkInstall = await measure(reconcile);
    // The first reconcile after the install is an upgrade: lookups now find what the install created (redis's
    // password Secret), so such a chart renders once more; from then on nothing changes.
    const tidemarkFirst = await measure(reconcile);
    const tidemarkSteady = await measure(reconcile, steadyRuns);
    rows.push({ chart, tool: 'tidemark', install: tidemarkInstall, first: tidemarkFirst, steady: tidemarkSteady });

    // Both releases go before the next chart or round: some charts have cluster-scoped objects of fixed names
    // (metrics-server's aggregated ClusterRole), which Helm refuses to adopt from another owner.
    await run(helm, ['uninstall', chart, '-n', helmNs, '--kubeconfig', env.kube.kubeconfigPath]);
    for (const entry of previous?.entries ?? []) {
      const id = parseObjectKey(entry.id);
      await cluster
        .delete({
          apiVersion: apiVersionOf(entry, id.group),
          kind: id.kind,
          namespace: id.namespace || undefined,
          name: id.name,
        })
        .catch(() => undefined);
    }
    await Promise.all([helmNs, ns].map((name) => cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name })));
    // The namespace controller deletes their objects afterwards: wait, or its deletes count as the next chart's writes.
    for (let wait = 0; wait < 120; wait++) {
      const left = await Promise.all(
        [helmNs, ns].map((name) => cluster.get({ apiVersion: 'v1', kind: 'Namespace', name })),
      );
      if (left.every((n) => n === undefined)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

const fmt = (m: Measured) => `${(m.ms / 1000).toFixed(2)} s, ${Math.round(m.writes)} writes`;
console.log(
  `bench/helm: ${charts.join(', ')}; ${rounds} round(s), ${steadyRuns} steady reconcile(s) each; Helm ${(await run(helm, ['version', '--short'])).stdout.trim()}`,
);
for (const row of rows)
  console.log(
    `  ${row.chart.padEnd(16)} ${row.tool.padEnd(9)} install ${fmt(row.install)}   first after install ${fmt(row.first)}   steady ${fmt(row.steady)}`,
  );
const sum = (tool: string, phase: 'install' | 'first' | 'steady') =>
  rows
    .filter((r) => r.tool === tool)
    .reduce((a, r) => ({ ms: a.ms + r[phase].ms, writes: a.writes + r[phase].writes }), { ms: 0, writes: 0 });
const total = (phase: 'install' | 'first' | 'steady') => {
  const [h, t] = [sum('helm', phase), sum('tidemark', phase)];
  return { helm: h, tidemark: t, ratio: h.ms / t.ms };
};
const [install, first, steady] = [total('install'), total('first'), total('steady')];
console.log(
  `  total install: helm ${fmt(install.helm)}, tidemark ${fmt(install.tidemark)} → ${install.ratio.toFixed(2)}× faster (target ≥ 1.5×)`,
);
console.log(
  `  total first reconcile after install: helm ${fmt(first.helm)}, tidemark ${fmt(first.tidemark)} → ${first.ratio.toFixed(2)}× faster`,
);
console.log(
  `  total steady state: helm ${fmt(steady.helm)}, tidemark ${fmt(steady.tidemark)} → ${steady.ratio.toFixed(2)}× faster (target ≥ 10×), tidemark writes ${Math.round(steady.tidemark.writes)} (target 0)`,
);
// Writes are the API server's own count, which includes what controllers write meanwhile (a StatefulSet's Pods).
reportFigures('helm', [
  {
    figure: `install, ${charts.length} chart(s): Tidemark vs helm upgrade --install`,
    value: `${install.ratio.toFixed(2)}× (${fmt(install.tidemark)} vs ${fmt(install.helm)})`,
    target: '≥ 1.5×',
    met: install.ratio >= 1.5,
  },
  {
    figure: 'first reconcile after install vs a second helm upgrade',
    value: `${first.ratio.toFixed(2)}× (${fmt(first.tidemark)} vs ${fmt(first.helm)})`,
  },
  {
    figure: 'steady state: Tidemark reconcile vs helm upgrade --install',
    value: `${steady.ratio.toFixed(2)}× (${fmt(steady.tidemark)} vs ${fmt(steady.helm)})`,
    target: '≥ 10×, 0 writes',
    met: steady.ratio >= 10 && Math.round(steady.tidemark.writes) === 0,
  },
]);
rmSync(repo, { recursive: true, force: true });
cluster.close();
