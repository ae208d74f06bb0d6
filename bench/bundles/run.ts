/**
 * Bundle size and cold initialisation of each Lambda function, against the targets of issue 7 (sizes for the webhook,
 * the image updater and the drift scanner; the notifier and the reconcilers, which came later, have the init target
 * only, and their sizes are printed so that growth shows).
 *
 *   npx tsx bench/bundles/run.ts [--runs N]
 *
 * Each function is bundled with the options the CDK stack deploys (infra/function-code.ts), once without source
 * maps (the size target) and once with them. Cold init is a fresh Node process importing the bundle and its
 * `handler`, timed inside the process from before the import to after it (median of N, default 10), as wall time
 * (the target) and as the process's CPU time, which a busy machine inflates less; the same is measured as deployed,
 * with the source map and `--enable-source-maps`. Node's own start-up and the load average are printed alongside.
 * Loopback only: handlers build their clients at import but make no call until invoked.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { parseDeploymentConfig } from '../../core/config/parse-deployment-config';
import { esbuildOptions } from '../../infra/function-code';
import { projectRoot } from '../../infra/tidemark-function';
import { type Figure, reportFigures } from '../support/bench-report';

interface Target {
  name: string;
  entry: string;
  /** No size target: printed, not judged. */
  maxBytes?: number;
  maxInitMs: number;
  /** What the stack adds to this function's environment (a reconciler is told its folder). */
  env?: NodeJS.ProcessEnv;
}

const MB = 1024 * 1024;
const targets: Target[] = [
  { name: 'webhook', entry: 'functions/webhook/handler.ts', maxBytes: 0.5 * MB, maxInitMs: 300 },
  { name: 'image-updater', entry: 'functions/image-updater/handler.ts', maxBytes: 1 * MB, maxInitMs: 300 },
  { name: 'drift-scanner', entry: 'functions/drift-scanner/handler.ts', maxBytes: 2.5 * MB, maxInitMs: 300 },
  { name: 'notifier', entry: 'functions/notifier/handler.ts', maxInitMs: 300 },
  {
    name: 'reconciler-route53',
    entry: 'functions/reconcilers/route53/handler.ts',
    maxInitMs: 300,
    env: { TIDEMARK_RESOURCES_FOLDER: 'dns' },
  },
  {
    name: 'reconciler-postgres',
    entry: 'functions/reconcilers/postgres/handler.ts',
    maxInitMs: 300,
    env: { TIDEMARK_RESOURCES_FOLDER: 'databases' },
  },
];

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10;
if (!Number.isInteger(runs) || runs < 1 || runs > 100)
  throw new Error(`--runs must be 1 to 100, but ${runs} was given`);

// What the stack puts in each function's environment, with made-up names: the handlers validate it at import.
const config = parseDeploymentConfig(readFileSync(join(projectRoot, 'tidemark.config.yaml'), 'utf8'));
const functionEnvironment: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  TIDEMARK_CONFIG: JSON.stringify(config),
  TIDEMARK_TABLE_NAME: 'tidemark-bench',
  TIDEMARK_SYNC_QUEUE_URLS: JSON.stringify(
    Object.fromEntries(
      config.clusters.map((c) => [c.name, `https://sqs.us-east-1.amazonaws.com/123456789012/${c.name}`]),
    ),
  ),
  TIDEMARK_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:tidemark-alerts',
  TIDEMARK_FLUSH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/tidemark-flush',
  TIDEMARK_EVENTS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/tidemark-events-dlq.fifo',
  POWERTOOLS_METRICS_NAMESPACE: 'Tidemark',
  POWERTOOLS_DEV: 'false',
};

const importProbe = (bundle: string) =>
  `const cpu0 = process.cpuUsage(); const t0 = performance.now();
   const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
   if (typeof m.handler !== 'function') throw new Error('no handler export');
   const wall = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
   process.stdout.write(JSON.stringify({ wall, cpu: (cpu.user + cpu.system) / 1000 }));`;

interface Init {
  /** Wall-clock milliseconds from before the import to after it. */
  wall: number;
  /** CPU milliseconds the process spent meanwhile (all threads): steadier than wall time on a busy machine. */
  cpu: number;
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Medians over `runs` fresh processes importing the bundle. */
function coldInit(bundle: string, nodeOptions: string[], env: NodeJS.ProcessEnv = {}): Init {
  const samples: Init[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', importProbe(bundle)], {
      env: { ...functionEnvironment, ...env },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`importing ${bundle} failed: ${r.stderr}`);
    samples.push(JSON.parse(r.stdout) as Init);
  }
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)) };
}

/** Median wall-clock milliseconds of a Node process that does nothing: the machine's speed right now. */
function bareNodeStart(): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - started);
  }
  return median(times);
}

const out = mkdtempSync(join(tmpdir(), 'tidemark-bundles-'));
const loadBefore = loadavg()[0]!;
const rows: string[][] = [];
const figures: Figure[] = [];
let allMet = true;
for (const t of targets) {
  const plain = join(out, t.name, 'index.mjs');
  const mapped = join(out, `${t.name}-mapped`, 'index.mjs');
  await build(esbuildOptions(join(projectRoot, t.entry), plain, false));
  await build(esbuildOptions(join(projectRoot, t.entry), mapped, true));
  const bytes = statSync(plain).size;
  const init = coldInit(plain, [], t.env);
  const deployed = coldInit(mapped, ['--enable-source-maps'], t.env);
  const sizeMet = t.maxBytes === undefined || bytes <= t.maxBytes;
  const met = sizeMet && init.wall <= t.maxInitMs;
  allMet &&= met;
  figures.push(
    {
      figure: `${t.name} bundle`,
      value: `${(bytes / MB).toFixed(3)} MB`,
      ...(t.maxBytes !== undefined && { target: `≤ ${(t.maxBytes / MB).toFixed(1)} MB`, met: sizeMet }),
    },
    {
      figure: `${t.name} cold init (median of ${runs})`,
      value: `${init.wall.toFixed(0)} ms (CPU ${init.cpu.toFixed(0)} ms)`,
      target: `≤ ${t.maxInitMs} ms`,
      met: init.wall <= t.maxInitMs,
    },
  );
  rows.push([
    t.name,
    `${(bytes / MB).toFixed(3)} MB`,
    t.maxBytes === undefined ? '—' : `${(t.maxBytes / MB).toFixed(1)} MB`,
    t.maxBytes === undefined ? '—' : (bytes / t.maxBytes).toFixed(2),
    `${init.wall.toFixed(0)} ms`,
    (init.wall / t.maxInitMs).toFixed(2),
    `${init.cpu.toFixed(0)} ms`,
    `${deployed.wall.toFixed(0)} ms`,
    met ? 'yes' : 'NO',
  ]);
}
const nodeStart = bareNodeStart();

const header = [
  'function',
  'bundle',
  'target',
  'ratio',
  'init (wall)',
  'ratio to 300 ms',
  'init (cpu)',
  'init as deployed*',
  'met',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(
  `Bundles (minified, no source maps) and cold init (median of ${runs} fresh node ${process.version} processes)`,
);
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log('* wall time with the external source map and --enable-source-maps, as the stack deploys it');
console.log(
  `Machine: a bare node process starts in ${nodeStart.toFixed(0)} ms; 1-minute load ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${cpus().length} cores. Init times scale with load.`,
);
console.log(`Bundles in ${out}`);
reportFigures('bundles', figures);
process.exitCode = allMet ? 0 : 1;
