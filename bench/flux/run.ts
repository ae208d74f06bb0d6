/**
 * bench/flux: Tidemark against Flux's own controllers on the same API server, git server and objects, in one run.
 *
 * Flux's source-controller, kustomize-controller and notification-controller are built from the Go module proxy
 * (local/flux/build.sh, cached per version; minutes the first time) and run as local processes next to the Tidemark
 * agent (its image's bundle, as a process). Each tool pulls its own copy of the same repository (bench/apply's
 * objects, 2,020 by default) from the local git server with basic auth, into namespaces of its own.
 *
 * Measured, alternating Flux and Tidemark (run `--help` for the flags):
 * - cold apply: the tool's resources created → Ready at the commit, every object present;
 * - steady state: a forced reconcile with nothing changed (`flux reconcile ks --with-source`, `tidemark reconcile`):
 *   wall time and the API requests it made, by verb, with persisted writes apart;
 * - push → applied: a one-object commit, GitHub's signed push delivered to Flux's Receiver and to Tidemark's webhook
 *   handler (→ sync queue → agent); until the API server serves the new value; p50 over `--pushes` each;
 * - drift revert: `kubectl scale` of a managed Deployment, until the tool scales it back;
 * - idle: `--idle-minutes` with no change at the default intervals: API requests, CPU seconds, peak RSS.
 * Physical limits on the same machine, in the same run: a bare writer sending the same server-side applies at its
 * best concurrency (cold apply), and one `git fetch` of the new commit plus one apply of the changed object (push).
 *
 * API requests are the API server's own counters (`apiserver_request_total`) while the other tool is paused
 * (SIGSTOP), less the harness's own requests (counted by its client) and the control plane's background (a rate
 * measured with both tools paused). CPU and memory are each tool's processes, from /proc.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { exportsFor } from '../../local/environment';
import { createScratchQueue } from '../../local/invoke';
import { down, projectRoot, readEnvironment, up } from '../../local/local-environment';
import { localGit } from '../../local/local-git';
import { sleep } from '../../local/processes';
import { type AgentProcess, bundleAgent, startAgentProcess } from '../support/agent-process';
import {
  describeRequests,
  lessOthers,
  type RequestCounts,
  ratePerSecond,
  requestsBetween,
  scrapeRequestTotals,
} from '../support/api-requests';
import { type BenchSize, benchObject, benchObjects, DEFAULT_SIZE, objectCount, yamlOf } from '../support/bench-objects';
import { createBenchRepo } from '../support/bench-repo';
import { reportFigures } from '../support/bench-report';
import { whilePaused } from '../support/pause';
import { cpuMeter, peakRssMb, RssSampler } from '../support/process-usage';
import { BareWriter } from './bare-writer';
import { buildFlux, installFluxCrds, type RunningFlux, startFlux } from './flux-controllers';
import { FluxPeer } from './flux-peer';
import { type RacePeer, until } from './race-peer';
import { TidemarkPeer } from './tidemark-peer';

const HELP = `Usage: npx tsx bench/flux/run.ts [options]

Races Tidemark against Flux's own controllers (built from the Go module proxy into ~/.cache/tidemark on first use,
a few minutes per controller) on the local environment (started when not running, stopped again at the end).
Non-interactive; prints one table and, with TIDEMARK_BENCH_REPORT set, hands its figures to bench/run.ts.

Size
  --namespaces N             namespaces in the repository (default ${DEFAULT_SIZE.namespaces})
  --per-namespace N          objects per namespace (default ${DEFAULT_SIZE.perNamespace}; 20 × 100 + 20 Namespaces = 2,020)
  --pushes N                 one-object commits per tool for push → applied (default 20)
  --steady-runs N            forced reconciles per tool (default 3; the median is reported)
  --idle-minutes M           idle window per tool (default 10)
  --concurrency LIST         bare-writer concurrencies to try (default 1,4,16,64; the best is the limit)
Flux
  --flux-interval D          Kustomization interval (default 10m, flux bootstrap's)
  --flux-source-interval D   GitRepository interval (default 1m, flux bootstrap's)
  --flux-wait                Kustomization spec.wait (health checks; off by default, as in Flux's guides)
  --drift-timeout-minutes M  how long to wait for Flux to revert drift (default: its interval + 2)
  --without-flux             run only Tidemark and the physical limits (never builds Flux)
Other
  --smoke                    tiny sizes (2 × 12 objects, 2 pushes, 6 s idle, Flux interval 30s), to check the harness
  --help                     this text

The full default run takes about 45 minutes (two 10-minute idle windows and up to 12 minutes for Flux's drift revert).`;

const { values: flags } = parseArgs({
  options: {
    namespaces: { type: 'string' },
    'per-namespace': { type: 'string' },
    pushes: { type: 'string' },
    'steady-runs': { type: 'string' },
    'idle-minutes': { type: 'string' },
    concurrency: { type: 'string' },
    'flux-interval': { type: 'string' },
    'flux-source-interval': { type: 'string' },
    'flux-wait': { type: 'boolean', default: false },
    'drift-timeout-minutes': { type: 'string' },
    'without-flux': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(HELP);
  process.exit(0);
}

function numberFlag(name: keyof typeof flags, fallback: number, smoke: number): number {
  const raw = flags[name];
  const value = typeof raw === 'string' ? Number(raw) : flags.smoke ? smoke : fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number, but ${raw} was given`);
  return value;
}
const size: BenchSize = {
  namespaces: numberFlag('namespaces', DEFAULT_SIZE.namespaces, 2),
  perNamespace: numberFlag('per-namespace', DEFAULT_SIZE.perNamespace, 12),
};
const pushes = numberFlag('pushes', 20, 2);
const steadyRuns = numberFlag('steady-runs', 3, 1);
const idleMinutes = numberFlag('idle-minutes', 10, 0.1);
const concurrencies = (flags.concurrency ?? (flags.smoke ? '4,16' : '1,4,16,64')).split(',').map(Number);
const fluxInterval = flags['flux-interval'] ?? (flags.smoke ? '30s' : '10m');
const fluxSourceInterval = flags['flux-source-interval'] ?? '1m';
const intervalMinutes = (() => {
  const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(fluxInterval);
  if (!m || fluxInterval === '')
    throw new Error(`--flux-interval: '${fluxInterval}' is not a duration such as 30s or 10m`);
  return Number(m[1] ?? 0) + Number(m[2] ?? 0) / 60;
})();
const driftTimeoutMinutes = numberFlag('drift-timeout-minutes', intervalMinutes + 2, intervalMinutes + 1);
const backgroundSeconds = flags.smoke ? 3 : 60;
const withFlux = !flags['without-flux'];

const say = (line: string) => console.error(`[bench/flux] ${line}`);
const wasRunning = readEnvironment() !== undefined;
const env = await up((line) => say(`local: ${line}`));
Object.assign(process.env, exportsFor(env));
const kubeconfig = env.kube.kubeconfigPath;
const kubectl = (...args: string[]) =>
  execFileSync('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'pipe' }).toString();
// Every request the harness makes goes through this client, so it can take its own requests out of the counts.
const cluster = ClusterClient.fromKubeconfig(kubeconfig);
const run = Math.random().toString(36).slice(2, 7);
const work = mkdtempSync(join(tmpdir(), 'bench-flux-'));
const loadBefore = loadavg();
const cleanups: (() => Promise<void>)[] = [];

try {
  // --- the tools ---------------------------------------------------------------------------------------------------
  const build = withFlux ? buildFlux() : undefined;
  if (build) installFluxCrds(build, kubeconfig);
  kubectl('apply', '--server-side', '--force-conflicts', '-f', join(projectRoot, 'agent/deploy/base/crd.yaml'));
  kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/syncs.tidemark.dev');
  cluster.mapper.reset();

  const filesFor = (prefix: string) =>
    new Map([...benchObjects(prefix, size)].map(([name, objects]) => [`apps/${name}`, yamlOf(objects)]));
  say(`pushing two copies of ${objectCount(size)} objects to the local git server`);
  const tidemarkRepo = await createBenchRepo(env.git, `race-tidemark-${run}`, filesFor(`rt-${run}`));
  const fluxRepo = await createBenchRepo(env.git, `race-flux-${run}`, filesFor(`rf-${run}`));
  cleanups.push(async () => {
    tidemarkRepo.remove();
    fluxRepo.remove();
  });

  const queue = await createScratchQueue('bench-race-sync');
  cleanups.push(() => queue.delete());
  const bundle = await bundleAgent(join(work, 'agent-bundle'));
  const agent: AgentProcess | undefined = await startAgentProcess(bundle, {
    cacheDir: join(work, 'agent-cache'),
    logDir: join(work, 'logs'),
    args: ['--sync-queue-url', queue.url],
    env: exportsFor(env),
  });
  cleanups.push(async () => agent?.stop());
  let flux: RunningFlux | undefined;
  if (build) {
    flux = await startFlux(build, { kubeconfig, workDir: join(work, 'flux') });
    cleanups.push(async () => flux?.stop());
  }
  say(`agent pid ${agent.pid}${flux ? `; Flux pids ${JSON.stringify(flux.pids)}` : ''}; logs in ${work}`);

  const tidemark = new TidemarkPeer(
    cluster,
    () => agent!,
    tidemarkRepo,
    `rt-${run}`,
    `race-tidemark-${run}`,
    env,
    queue,
  );
  await tidemark.install();
  const fluxPeer = flux
    ? new FluxPeer(cluster, flux, fluxRepo, `rf-${run}`, `race-flux-${run}`, env.git, {
        interval: fluxInterval,
        sourceInterval: fluxSourceInterval,
        wait: flags['flux-wait'] ?? false,
      })
    : undefined;
  await fluxPeer?.install();
  const peers: RacePeer[] = fluxPeer ? [fluxPeer, tidemark] : [tidemark];
  cleanups.push(async () => {
    for (const p of peers) await p.remove();
  });
  const othersOf = (peer: RacePeer) => peers.filter((p) => p !== peer).flatMap((p) => p.pids());
  const allPids = () => peers.flatMap((p) => p.pids());
  const heads = new Map<RacePeer, string>([
    [tidemark, tidemarkRepo.head],
    ...(fluxPeer ? ([[fluxPeer, fluxRepo.head]] as const) : []),
  ]);

  // --- measuring ---------------------------------------------------------------------------------------------------
  const ownCounts = () => new Map(cluster.requestCounts);
  // The API server names a server-side apply APPLY and a merge patch PATCH; the client sees both as PATCH. Within one
  // window the harness sends only one of them (applies to start a tool, merge patches to ask for a reconcile).
  const verbOfMethod = (patchVerb: string): Record<string, string> => ({
    GET: 'GET',
    PATCH: patchVerb,
    POST: 'POST',
    PUT: 'PUT',
    DELETE: 'DELETE',
  });
  let background: Record<string, number> | undefined;
  /** The API requests made while `work` ran (and `settleMs` after), less the harness's own and the background. */
  async function countRequests<T>(
    work: () => Promise<T>,
    settleMs = 1500,
    patchVerb = 'PATCH',
  ): Promise<{ ms: number; requests: RequestCounts; result: T }> {
    const own0 = ownCounts();
    const before = await scrapeRequestTotals(cluster);
    const started = performance.now();
    const result = await work();
    const ms = performance.now() - started;
    await sleep(settleMs);
    const own1 = ownCounts();
    const after = await scrapeRequestTotals(cluster);
    const own: Record<string, number> = {};
    for (const [key, n] of own1) {
      const verb = verbOfMethod(patchVerb)[key] ?? key;
      own[verb] = (own[verb] ?? 0) + n - (own0.get(key) ?? 0);
    }
    const seconds = (ms + settleMs) / 1000;
    const requests = lessOthers(requestsBetween(before, after), own, background && { perSecond: background, seconds });
    return { ms, requests, result };
  }

  /** Every object of the repository is in the cluster: LIST per kind, compared with what the repository holds. */
  async function allPresent(prefix: string): Promise<boolean> {
    const expected = [...benchObjects(prefix, size).values()].flat();
    const kinds = new Map(expected.map((o) => [`${o.apiVersion}|${o.kind}`, o]));
    const live = new Set<string>();
    for (const o of kinds.values()) {
      for (const item of await cluster.list(o.apiVersion, o.kind))
        live.add(`${item.kind}/${item.metadata.namespace ?? ''}/${item.metadata.name}`);
    }
    return expected.every((o) => live.has(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`));
  }

  const all = [...benchObjects('x', size).values()].flat().length;
  say(
    `objects per tool: ${all}; pushes ${pushes}; idle ${idleMinutes} min; Flux ${withFlux ? `interval ${fluxInterval}` : 'not run'}`,
  );

  /**
   * Waits, with both tools paused, until the control plane has finished reacting to the last phase (the namespace
   * controller deleting, the deployment controller scaling): a 3-second window with at most one request.
   */
  async function quiesce(): Promise<void> {
    await whilePaused(allPids(), async () => {
      for (let i = 0; i < 40; i++) if ((await countRequests(() => sleep(3000), 0)).requests.total <= 1) return;
      say('the control plane did not quiesce within 2 minutes; measuring anyway');
    });
  }

  // Background: the control plane alone (both tools paused).
  await quiesce();
  await whilePaused(allPids(), async () => {
    const quiet = await countRequests(() => sleep(backgroundSeconds * 1000), 0);
    background = ratePerSecond(quiet.requests, backgroundSeconds);
    say(`background with both tools paused: ${describeRequests(quiet.requests)} in ${backgroundSeconds} s`);
  });

  // Physical limit of a cold apply: the bare writer, each concurrency on fresh namespaces, tools paused.
  const bare: { concurrency: number; ms: number }[] = [];
  await whilePaused(allPids(), async () => {
    for (const concurrency of concurrencies) {
      const writer = new BareWriter(
        { server: env.kube.server, token: env.kube.adminToken, caPath: env.kube.caPath },
        concurrency,
      );
      const objects = [...benchObjects(`rb-${run}-c${concurrency}`, size).values()].flat();
      bare.push({ concurrency, ms: await writer.apply(objects) });
      writer.close();
      say(`bare writer, concurrency ${concurrency}: ${secs(bare.at(-1)!.ms)}`);
    }
  });
  const bestBare = bare.reduce((a, b) => (b.ms < a.ms ? b : a));
  await deleteNamespaces(
    concurrencies.flatMap((c) => namespacesOf(`rb-${run}-c${c}`)),
    true,
  );

  // Cold apply, each tool alone (the other paused).
  const cold = new Map<RacePeer, { ms: number; requests: RequestCounts }>();
  for (const peer of peers) {
    say(`${peer.name}: cold apply`);
    const measured = await whilePaused(othersOf(peer), () =>
      countRequests(
        async () => {
          await peer.start();
          await until(`${peer.name}'s cold apply`, () => peer.isReadyAt(heads.get(peer)!), {
            timeoutMs: 30 * 60_000,
            everyMs: 200,
          });
        },
        1500,
        'APPLY',
      ),
    );
    if (!(await allPresent(peer.objectPrefix))) throw new Error(`${peer.name} reported Ready but objects are missing`);
    cold.set(peer, measured);
    say(`${peer.name}: cold apply ${secs(measured.ms)}, ${describeRequests(measured.requests)}`);
  }

  // Steady state: forced reconciles with nothing changed, alternating, each tool alone.
  await quiesce();
  const steady = new Map<RacePeer, { ms: number; requests: RequestCounts }[]>(peers.map((p) => [p, []]));
  for (let r = 0; r < steadyRuns; r++) {
    for (const peer of peers) {
      const measured = await whilePaused(othersOf(peer), () => countRequests(() => peer.reconcileNow()));
      steady.get(peer)!.push(measured);
      say(
        `${peer.name}: steady reconcile ${secs(measured.ms)}, ${describeRequests(measured.requests)}, object writes ${measured.requests.objectWrites} (all writes ${measured.requests.writes})`,
      );
    }
  }

  // Push → applied: a one-object commit, alternating which tool goes first.
  const pushLatency = new Map<RacePeer, number[]>(peers.map((p) => [p, []]));
  for (let i = 1; i <= pushes; i++) {
    for (const peer of i % 2 ? peers : [...peers].reverse()) {
      const ns = `${peer.objectPrefix}-0`;
      const value = `push-${i}`;
      const file = `apps/${ns}.yaml`;
      const objects = benchObjects(peer.objectPrefix, size).get(`${ns}.yaml`)!;
      objects[1] = benchObject(ns, 0, value);
      const before = heads.get(peer)!;
      const after = peer.repo.commit(new Map([[file, yamlOf(objects)]]), `configmap-0: ${value}`);
      heads.set(peer, after);
      const started = performance.now(); // `git push` returned: GitHub sends its webhook now
      await peer.notifyPush(before, after, [file]);
      await until(
        `${peer.name} to apply push ${i}`,
        async () => {
          const cm = await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'configmap-0' });
          return ((cm?.data ?? {}) as Record<string, string>)['app.properties']?.includes(`mode=${value}\n`) ?? false;
        },
        { timeoutMs: 10 * 60_000, everyMs: 20 },
      );
      pushLatency.get(peer)!.push(performance.now() - started);
      say(`${peer.name}: push ${i} applied in ${secs(pushLatency.get(peer)!.at(-1)!)}`);
    }
  }

  // Physical limit of push → applied: one `git fetch` of the new commit and one apply of the changed object.
  const floor = await pushFloor();

  // Drift: `kubectl scale` a managed Deployment of each tool at once; until each scales it back to 0.
  const drift = new Map<RacePeer, number | undefined>();
  await Promise.all(
    peers.map(async (peer) => {
      const ns = `${peer.objectPrefix}-0`;
      const started = performance.now();
      kubectl('scale', 'deployment/deployment-5', '-n', ns, '--replicas=2');
      const timeoutMs = (peer === fluxPeer ? driftTimeoutMinutes : 2) * 60_000;
      const reverted = await until(
        `${peer.name} to revert the scale`,
        async () => {
          const d = await cluster.get({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            namespace: ns,
            name: 'deployment-5',
          });
          return (d?.spec as { replicas?: number } | undefined)?.replicas === 0;
        },
        { timeoutMs, everyMs: 250 },
      ).then(
        () => performance.now() - started,
        () => undefined,
      );
      drift.set(peer, reverted);
      say(
        `${peer.name}: drift ${reverted === undefined ? `not reverted within ${timeoutMs / 60_000} min` : `reverted in ${secs(reverted)}`}`,
      );
    }),
  );

  // Idle: each tool alone for the window, at its default intervals.
  const idle = new Map<
    RacePeer,
    { requests: RequestCounts; cpu: Record<number, number>; rssMb: number; reconciles: Record<string, number> }
  >();
  for (const peer of peers) {
    await quiesce();
    say(`${peer.name}: idle for ${idleMinutes} min`);
    const measured = await whilePaused(othersOf(peer), async () => {
      const meters = new Map(peer.pids().map((pid) => [pid, cpuMeter([pid])]));
      const rss = new RssSampler(peer === fluxPeer ? twoFluxPids(flux!) : peer.pids());
      const r0 = await peer.reconciles();
      const { requests } = await countRequests(() => sleep(idleMinutes * 60_000), 0);
      const r1 = await peer.reconciles();
      const reconciles = Object.fromEntries(Object.entries(r1).map(([k, n]) => [k, n - (r0[k] ?? 0)]));
      return {
        requests,
        cpu: Object.fromEntries([...meters].map(([pid, meter]) => [pid, meter()])),
        rssMb: rss.stop(),
        reconciles,
      };
    });
    idle.set(peer, measured);
    say(`${peer.name}: idle ${describeRequests(measured.requests)}; reconciles ${JSON.stringify(measured.reconciles)}`);
  }

  // --- the table -----------------------------------------------------------------------------------------------------
  const lifetimePeak = (pids: number[]) => pids.reduce((sum, pid) => sum + peakRssMb(pid), 0);
  const fluxTwo = flux ? twoFluxPids(flux) : [];
  const T = tidemark;
  const F = fluxPeer;
  const tCold = cold.get(T)!;
  const fCold = F && cold.get(F);
  const tSteady = medianRun(steady.get(T)!);
  const fSteady = F && medianRun(steady.get(F)!);
  const tPush = median(pushLatency.get(T)!);
  const fPush = F ? median(pushLatency.get(F)!) : undefined;
  const tIdle = idle.get(T)!;
  const fIdle = F && idle.get(F);
  const cpuOf = (m: { cpu: Record<number, number> }, pids: number[]) =>
    pids.reduce((s, pid) => s + (m.cpu[pid] ?? 0), 0);
  const tIdleCpu = cpuOf(tIdle, T.pids());
  const fIdleCpu = fIdle ? cpuOf(fIdle, fluxTwo) : undefined;

  const rows: Row[] = [
    {
      figure: 'cold apply',
      tidemark: secs(tCold.ms),
      flux: fCold && secs(fCold.ms),
      ratio: fCold && times(fCold.ms / tCold.ms),
      limit: `${secs(bestBare.ms)} (bare writer, concurrency ${bestBare.concurrency})`,
      ofLimit: times(tCold.ms / bestBare.ms),
      goal: '≥ 2× faster than Flux; ≤ 1.3× the limit',
      met: fCold ? fCold.ms / tCold.ms >= 2 && tCold.ms / bestBare.ms <= 1.3 : undefined,
    },
    {
      figure: `steady state: time (median of ${steadyRuns})`,
      tidemark: secs(tSteady.ms),
      flux: fSteady && secs(fSteady.ms),
      ratio: fSteady && times(fSteady.ms / tSteady.ms),
    },
    {
      figure: 'steady state: API requests',
      tidemark: String(tSteady.requests.total),
      flux: fSteady && String(fSteady.requests.total),
      ratio: fSteady && times(fSteady.requests.total / Math.max(1, tSteady.requests.total)),
      goal: '≥ 5× fewer than Flux',
      met: fSteady ? fSteady.requests.total >= 5 * tSteady.requests.total : undefined,
    },
    {
      figure: 'steady state: writes to managed objects',
      tidemark: String(tSteady.requests.objectWrites),
      flux: fSteady && String(fSteady.requests.objectWrites),
      goal: '0',
      met: tSteady.requests.objectWrites === 0,
    },
    {
      figure: `push → applied (p50 of ${pushes})`,
      tidemark: secs(tPush),
      flux: fPush !== undefined ? secs(fPush) : undefined,
      ratio: fPush !== undefined ? times(fPush / tPush) : undefined,
      limit: `${secs(floor)} (git fetch + one apply)`,
      ofLimit: times(tPush / floor),
      goal: '≥ 2× faster than Flux; ≤ 2× the limit',
      met: fPush !== undefined ? fPush / tPush >= 2 && tPush / floor <= 2 : undefined,
    },
    {
      figure: 'drift revert (kubectl scale)',
      tidemark: driftText(drift.get(T), 2),
      flux: F && driftText(drift.get(F), driftTimeoutMinutes),
      ratio: F && drift.get(T) ? times((drift.get(F) ?? driftTimeoutMinutes * 60_000) / drift.get(T)!) : undefined,
      goal: `seconds (≤ 10 s); Flux at its interval (${fluxInterval})`,
      met: (drift.get(T) ?? Number.POSITIVE_INFINITY) <= 10_000,
    },
    {
      figure: `idle ${idleMinutes} min: API requests`,
      tidemark: String(tIdle.requests.total),
      flux: fIdle && String(fIdle.requests.total),
      ratio: fIdle && times(fIdle.requests.total / Math.max(1, tIdle.requests.total)),
    },
    {
      figure: `idle ${idleMinutes} min: CPU seconds`,
      tidemark: tIdleCpu.toFixed(2),
      flux: fIdleCpu?.toFixed(2),
      ratio: fIdleCpu !== undefined ? times(fIdleCpu / Math.max(0.01, tIdleCpu)) : undefined,
      goal: '≤ ½ of source + kustomize',
      met: fIdleCpu !== undefined ? tIdleCpu <= fIdleCpu / 2 : undefined,
    },
    {
      figure: `idle ${idleMinutes} min: peak RSS`,
      tidemark: `${tIdle.rssMb.toFixed(0)} MB`,
      flux: fIdle && `${fIdle.rssMb.toFixed(0)} MB`,
      ratio: fIdle && times(fIdle.rssMb / tIdle.rssMb),
      goal: '≤ ½ of source + kustomize',
      met: fIdle ? tIdle.rssMb <= fIdle.rssMb / 2 : undefined,
    },
    {
      figure: 'peak RSS over the whole run',
      tidemark: `${lifetimePeak(T.pids()).toFixed(0)} MB`,
      flux: F && `${lifetimePeak(fluxTwo).toFixed(0)} MB`,
      ratio: F && times(lifetimePeak(fluxTwo) / lifetimePeak(T.pids())),
    },
  ];

  console.log('');
  console.log(
    `bench/flux: ${all} objects per tool (${size.namespaces} namespaces × ${size.perNamespace} + Namespaces), ` +
      `API server ${env.kube.server}; Flux ${
        build
          ? Object.entries(build.controllers)
              .map(([n, c]) => `${n} ${c.version}`)
              .join(', ')
          : 'not run (--without-flux)'
      }`,
  );
  printTable(rows);
  console.log('');
  console.log('Details');
  for (const peer of peers) {
    const s = medianRun(steady.get(peer)!);
    console.log(
      `  ${peer.name.padEnd(8)} cold apply requests ${describeRequests(cold.get(peer)!.requests)}, object writes ${cold.get(peer)!.requests.objectWrites} (the control plane's reactions included)`,
    );
    console.log(
      `  ${peer.name.padEnd(8)} steady requests ${describeRequests(s.requests)}; object writes ${s.requests.objectWrites}, status/Event writes ${s.requests.writes - s.requests.objectWrites}, dry-run writes ${s.requests.dryRunWrites}`,
    );
    console.log(
      `  ${peer.name.padEnd(8)} push → applied ${pushLatency
        .get(peer)!
        .map((ms) => secs(ms))
        .join(' ')}`,
    );
    const m = idle.get(peer)!;
    console.log(
      `  ${peer.name.padEnd(8)} idle requests ${describeRequests(m.requests)}; reconciles ${JSON.stringify(m.reconciles)}; CPU s by pid ${JSON.stringify(Object.fromEntries(Object.entries(m.cpu).map(([p, c]) => [p, Number(c.toFixed(2))])))}`,
    );
  }
  if (flux)
    console.log(
      `  Flux pids ${JSON.stringify(flux.pids)} (idle CPU and RSS compare source + kustomize; notification-controller's are in the pid list)`,
    );
  console.log(`  bare writer: ${bare.map((b) => `concurrency ${b.concurrency} ${secs(b.ms)}`).join(', ')}`);
  console.log(
    `  background (both tools paused, per minute): ${JSON.stringify(Object.fromEntries(Object.entries(background ?? {}).map(([v, r]) => [v, Number((r * 60).toFixed(1))])))}`,
  );
  console.log(
    `  load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (2 cores; timings scale with load)`,
  );
  reportFigures(
    'flux',
    rows.map((r) => ({
      figure: r.figure,
      value: `Tidemark ${r.tidemark}${r.flux ? `, Flux ${r.flux} (${r.ratio ?? '—'})` : ''}${r.ofLimit ? `, ${r.ofLimit} the limit` : ''}`,
      target: r.goal,
      met: r.met,
    })),
  );

  // --- helpers that need the run's state -----------------------------------------------------------------------------
  async function pushFloor(): Promise<number> {
    const prefix = `rl-${run}`;
    const ns = `${prefix}-0`;
    const repo = await createBenchRepo(env.git, `race-floor-${run}`, filesFor(prefix));
    cleanups.push(async () => repo.remove());
    const clone = join(work, 'floor-clone');
    mkdirSync(clone);
    const git = localGit(env.git, clone);
    git('clone', '--quiet', repo.url, '.');
    const writer = new BareWriter({ server: env.kube.server, token: env.kube.adminToken, caPath: env.kube.caPath }, 1);
    await writer.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, benchObject(ns, 0)]);
    const samples: number[] = [];
    for (let i = 1; i <= pushes; i++) {
      const objects = benchObjects(prefix, size).get(`${ns}.yaml`)!;
      const changed: KubeObject = benchObject(ns, 0, `floor-${i}`);
      objects[1] = changed;
      repo.commit(new Map([[`apps/${ns}.yaml`, yamlOf(objects)]]), `floor ${i}`);
      const started = performance.now();
      git('fetch', '--quiet', 'origin', 'main');
      await writer.apply([changed]);
      samples.push(performance.now() - started);
    }
    writer.close();
    await deleteNamespaces([ns], true);
    say(`push floor: ${samples.map((ms) => secs(ms)).join(' ')}`);
    return median(samples);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((e: Error) => say(`cleanup: ${e.message}`));
  await deleteNamespaces(
    ['rt', 'rf'].flatMap((p) => namespacesOf(`${p}-${run}`)).concat(`race-tidemark-${run}`, `race-flux-${run}`),
    false,
  ).catch(() => undefined);
  cluster.close();
  rmSync(work, { recursive: true, force: true });
  if (!wasRunning) await down(env);
}

// --- output ----------------------------------------------------------------------------------------------------------
interface Row {
  figure: string;
  tidemark: string;
  flux?: string;
  ratio?: string;
  limit?: string;
  ofLimit?: string;
  goal?: string;
  met?: boolean;
}

function printTable(rows: Row[]): void {
  const header = ['figure', 'Tidemark', 'Flux', 'Flux ÷ Tidemark', 'physical limit', 'Tidemark ÷ limit', 'goal', 'met'];
  const cells = rows.map((r) => [
    r.figure,
    r.tidemark,
    r.flux ?? '—',
    r.ratio ?? '—',
    r.limit ?? '—',
    r.ofLimit ?? '—',
    r.goal ?? '',
    r.met === undefined ? (r.goal ? 'n/a' : '') : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** The run of median wall time, whose request counts are reported with it. */
function medianRun(runs: { ms: number; requests: RequestCounts }[]): { ms: number; requests: RequestCounts } {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;
}

function secs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function times(x: number): string {
  return `${x.toFixed(x >= 10 ? 0 : 1)}×`;
}

function driftText(ms: number | undefined, timeoutMinutes: number): string {
  return ms === undefined ? `> ${timeoutMinutes} min` : secs(ms);
}

function twoFluxPids(flux: RunningFlux): number[] {
  return [flux.pids['source-controller'], flux.pids['kustomize-controller']];
}

function namespacesOf(prefix: string): string[] {
  return Array.from({ length: size.namespaces }, (_, n) => `${prefix}-${n}`);
}

/** Deletes namespaces; with `wait`, until they are gone, so their garbage collection does not load the next phase. */
async function deleteNamespaces(names: string[], wait: boolean): Promise<void> {
  for (const name of names) await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  if (!wait) return;
  await until(
    `namespaces ${names[0]} … to be deleted`,
    async () => {
      for (const name of names) if (await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name })) return false;
      return true;
    },
    { timeoutMs: 10 * 60_000, everyMs: 1000 },
  );
}
