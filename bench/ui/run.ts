/**
 * `tidemark ui` on the local environment (`tidemark local up` first), seen through headless Chromium
 * (local/chromium/launch.ts):
 *
 * - first paint of the Syncs page with 200 Syncs whose inventories name 10,000 objects, all created on the local API
 *   server (the objects are ConfigMaps carrying Tidemark's labels); the browser's own first-contentful-paint, median
 *   of the warm loads (the first load is printed apart);
 * - the delay from a Sync status change (a PATCH of its status, as the agent writes it) to the open page showing it,
 *   p50/p95 over the changes.
 *
 * Baselines in the same run, on the same API server and Syncs: `kubectl get syncs` for the list (what a user runs
 * without the UI), and `kubectl get syncs --watch` printing the changed Sync for the delay.
 *
 *   npx tsx bench/ui/run.ts [--syncs 200] [--objects 10000] [--changes 10] [--loads 5]
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { startUi } from '../../cli/ui/server';
import type { KubeObject } from '../../core/sync/kube-object';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { inParallel } from '../../engine/concurrency';
import { launchChromium } from '../../local/chromium/launch';
import { exportsFor } from '../../local/environment';
import { readEnvironment } from '../../local/local-environment';
import { reportFigures } from '../support/bench-report';

const { values: flags } = parseArgs({
  options: {
    syncs: { type: 'string', default: '200' },
    objects: { type: 'string', default: '10000' },
    changes: { type: 'string', default: '10' },
    loads: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(
    'Usage: npx tsx bench/ui/run.ts [--syncs 200] [--objects 10000] [--changes 10] [--loads 5]   (needs `tidemark local up`)',
  );
  process.exit(0);
}
const size = { syncs: Number(flags.syncs), objects: Number(flags.objects), changes: Number(flags.changes) };
const loads = Number(flags.loads);
for (const [name, n] of Object.entries({ ...size, loads })) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, but ${n} was given`);
}
const targetMs = { paint: 1000, change: 1000 };

const env = readEnvironment();
if (!env) {
  console.error('bench/ui: the local environment is not running. Start it with `tidemark local up`.');
  process.exit(1);
}
Object.assign(process.env, exportsFor(env));
const kubeconfig = env.kube.kubeconfigPath;
const cluster = ClusterClient.fromKubeconfig(kubeconfig);
const namespace = `bench-ui-${randomBytes(3).toString('hex')}`;
const revision = randomBytes(20).toString('hex');
const perSync = Math.ceil(size.objects / size.syncs);
const syncName = (i: number) => `app-${String(i).padStart(4, '0')}`;

const started = performance.now();
console.log(
  `bench/ui: ${size.syncs} Syncs, ${size.objects} objects in ${namespace} (load average ${loadavg()[0]?.toFixed(1)})`,
);
await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubeObject);
await cluster.apply(parse(readFileSync(join(import.meta.dirname, '../../agent/deploy/base/crd.yaml'), 'utf8')));
for (let served = false; !served; ) {
  cluster.mapper.reset();
  served = await cluster.list(syncApiVersion, syncKind, { namespace }).then(
    () => true,
    async () => {
      await new Promise((r) => setTimeout(r, 200));
      return false;
    },
  );
}

try {
  // The objects, as the agent leaves them: labelled for their Sync.
  const objects = Array.from({ length: size.objects }, (_, i) => i);
  await inParallel(objects, 16, async (i) => {
    const sync = syncName(Math.floor(i / perSync));
    await cluster.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `cm-${i}`,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'tidemark', 'tidemark.dev/sync': `${namespace}.${sync}` },
      },
      data: { index: String(i) },
    });
  });
  const now = new Date().toISOString();
  await inParallel(
    Array.from({ length: size.syncs }, (_, i) => i),
    16,
    async (i) => {
      const name = syncName(i);
      await cluster.create({
        apiVersion: syncApiVersion,
        kind: syncKind,
        metadata: { name, namespace },
        // Suspended, so that an agent watching every namespace leaves these Syncs (and their statuses) alone.
        spec: { url: 'https://github.com/acme/config.git', path: `apps/${name}`, suspend: true },
      });
      const entries = objects
        .slice(i * perSync, Math.min(size.objects, (i + 1) * perSync))
        .map((n) => ({ id: `${namespace}_cm-${n}__ConfigMap`, v: 'v1' }));
      await cluster.mergePatch(
        { apiVersion: syncApiVersion, kind: syncKind, namespace, name },
        {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'ReconciliationSucceeded',
                message: `Applied revision ${revision}`,
                lastTransitionTime: now,
              },
            ],
            lastAppliedRevision: revision,
            lastAppliedSubject: `Update ${name} to 1.2.0`,
            lastSyncTime: now,
            inventory: { entries },
            health: { current: entries.length, inProgress: 0, failed: 0, notReady: [] },
            driftedObjects: 0,
          },
        },
        'status',
      );
    },
  );
  console.log(`  created in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  // Baseline: the list as kubectl prints it.
  const kubectlMs: number[] = [];
  for (let i = 0; i < loads; i++) {
    const t = performance.now();
    const r = spawnSync('kubectl', ['get', 'syncs', '-n', namespace], { encoding: 'utf8' });
    kubectlMs.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`kubectl get syncs failed: ${r.stderr}`);
  }

  const ui = await startUi({ port: 0, namespace, cluster: 'bench', kubeconfig });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const paints: number[] = [];
    for (let i = 0; i <= loads; i++) {
      await page.goto(`${ui.url}syncs`, { waitUntil: 'load' });
      const rows = await page.locator('#sync-rows tr').count();
      if (rows !== size.syncs) throw new Error(`the Syncs page shows ${rows} rows, not ${size.syncs}`);
      paints.push(
        Number(await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN")),
      );
    }
    const [coldPaint, ...warm] = paints;

    // A status change, then the open page: the clock stops when the row shows the new subject.
    const changeMs: number[] = [];
    for (let i = 1; i <= size.changes; i++) {
      const name = syncName((i * 37) % size.syncs);
      const subject = `Change ${i} of ${name}`;
      const t = performance.now();
      await cluster.mergePatch(
        { apiVersion: syncApiVersion, kind: syncKind, namespace, name },
        { status: { lastAppliedSubject: subject } },
        'status',
      );
      // Playwright's own injected script watches the DOM: the page's policy allows no eval, so no waitForFunction.
      await page.locator(`[id="sync-row:${namespace}/${name}"]`, { hasText: subject }).waitFor({ timeout: 30_000 });
      changeMs.push(performance.now() - t);
    }
    const watchMs = await kubectlWatchDelays(Math.min(size.changes, 5));

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))]!;
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    const paint = median(warm);
    const change = median(changeMs);
    console.log(
      `Syncs page, ${size.syncs} Syncs / ${size.objects} objects (load average ${loadavg()[0]?.toFixed(1)}):`,
    );
    console.log(
      `  first paint (Chromium first-contentful-paint): median ${ms(paint)} of ${warm.length} warm loads, first load ${ms(coldPaint!)}   (target ≤ ${ms(targetMs.paint)})`,
    );
    console.log(
      `  kubectl get syncs (same Syncs): median ${ms(median(kubectlMs))}   ratio first paint / kubectl ${(paint / median(kubectlMs)).toFixed(2)}×`,
    );
    console.log(`status change → page shows it, ${size.changes} changes:`);
    console.log(`  p50 ${ms(change)}   p95 ${ms(p95(changeMs))}   (target ≤ ${ms(targetMs.change)})`);
    console.log(
      `  kubectl get syncs --watch prints it: p50 ${ms(median(watchMs))} of ${watchMs.length}   ratio ${(change / median(watchMs)).toFixed(2)}×`,
    );
    reportFigures('ui', [
      {
        figure: `Syncs page first paint (${size.syncs} Syncs, ${size.objects} objects)`,
        value: ms(paint),
        target: `≤ ${ms(targetMs.paint)}`,
        met: paint <= targetMs.paint,
      },
      { figure: 'first paint ÷ kubectl get syncs', value: `${(paint / median(kubectlMs)).toFixed(2)}×` },
      {
        figure: 'Sync status change → page shows it (p50)',
        value: `${ms(change)} (p95 ${ms(p95(changeMs))})`,
        target: `≤ ${ms(targetMs.change)}`,
        met: change <= targetMs.change,
      },
      { figure: 'status change → page ÷ kubectl get --watch', value: `${(change / median(watchMs)).toFixed(2)}×` },
    ]);
  } finally {
    await browser.close();
    await ui.close();
  }
} finally {
  await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
  cluster.close();
}

/** `kubectl get syncs --watch`: from a status PATCH to kubectl printing the Sync's row. */
async function kubectlWatchDelays(n: number): Promise<number[]> {
  const child = spawn('kubectl', ['get', 'syncs', '-n', namespace, '--watch', '-o', 'name'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  try {
    // The initial list first, so only the changes remain.
    for (const deadline = Date.now() + 30_000; (output.match(/\n/g)?.length ?? 0) < size.syncs; ) {
      if (Date.now() > deadline) throw new Error('kubectl get --watch did not print the Syncs');
      await new Promise((r) => setTimeout(r, 20));
    }
    const delays: number[] = [];
    for (let i = 1; i <= n; i++) {
      const name = syncName((i * 53) % size.syncs);
      const seen = output.length;
      const t = performance.now();
      await cluster.mergePatch(
        { apiVersion: syncApiVersion, kind: syncKind, namespace, name },
        { status: { lastAppliedSubject: `Watched ${i}` } },
        'status',
      );
      for (const deadline = Date.now() + 30_000; !output.slice(seen).includes(`sync.tidemark.dev/${name}\n`); ) {
        if (Date.now() > deadline) throw new Error('kubectl get --watch did not print the change');
        await new Promise((r) => setTimeout(r, 2));
      }
      delays.push(performance.now() - t);
    }
    return delays;
  } finally {
    child.kill();
  }
}
