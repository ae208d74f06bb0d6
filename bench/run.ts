/**
 * `npm run bench`: every benchmark under bench/, one after another, each as its own process on the local
 * environment, then one summary table of what they measured (figure, value, target, met).
 *
 *   npx tsx bench/run.ts [--smoke] [--only apply,diff,…] [--skip flux] [--help]
 *
 * Each benchmark prints its own comparison into a log (its path is printed) and hands its figures to this runner
 * through the file named by TIDEMARK_BENCH_REPORT (bench/support/bench-report.ts). `--smoke` runs each at a tiny size
 * to check that the harness works (the test suite does that: test/e2e/bench-summary.int.test.ts); its timings mean
 * nothing. Smoke mode never builds Flux: the Flux race runs its Tidemark side and the physical limits only.
 *
 * Exits 1 when a benchmark failed to run or reported nothing; a goal that is not met is a figure, not a failure.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { down, readEnvironment, up } from '../local/local-environment';
import { type Figure, REPORT_ENV } from './support/bench-report';

interface Benchmark {
  name: string;
  /** Arguments of the default run. */
  args: string[];
  /** Arguments of the smoke run: the smallest size at which every code path still runs. */
  smoke: string[];
}

/** In the order a reader meets them in the README's benchmark table. */
export const BENCHMARKS: readonly Benchmark[] = [
  { name: 'apply', args: [], smoke: ['--namespaces', '2', '--per-namespace', '12'] },
  { name: 'diff', args: [], smoke: ['--objects', '60', '--reps', '1'] },
  { name: 'image-updater', args: [], smoke: ['--events', '2', '--files', '40'] },
  { name: 'webhook-sync', args: [], smoke: ['--pushes', '2'] },
  { name: 'notify', args: [], smoke: ['--pushes', '2'] },
  { name: 'promote', args: [], smoke: ['--candidates', '2', '--soak', '1'] },
  { name: 'resources', args: [], smoke: ['--records', '3', '--roles', '2', '--baseline-records', '1'] },
  { name: 'helm', args: [], smoke: ['--charts', 'podinfo'] },
  { name: 'hydrate', args: ['--apps', '50', '--pushes', '20'], smoke: ['--apps', '2', '--pushes', '1'] },
  { name: 'e2e', args: [], smoke: ['--pushes', '2'] },
  { name: 'bundles', args: [], smoke: ['--runs', '1'] },
  { name: 'ui', args: [], smoke: ['--syncs', '5', '--objects', '20', '--changes', '2', '--loads', '1'] },
  { name: 'flux', args: [], smoke: ['--smoke', '--without-flux'] },
];

const HELP = `Usage: npx tsx bench/run.ts [--smoke] [--only NAMES] [--skip NAMES]

Runs every benchmark (${BENCHMARKS.map((b) => b.name).join(', ')}) on the local environment and prints one
summary table. Each benchmark's own output goes to a log file whose path is printed.
  --smoke        tiny sizes, to check the benchmarks run (timings mean nothing; Flux is not built)
  --only NAMES   comma-separated benchmarks to run
  --skip NAMES   comma-separated benchmarks to leave out
  --json FILE    also write the outcomes (benchmark, seconds, log, figures, error) as JSON
The ten-times sizes and each benchmark's other flags: npx tsx bench/<name>/run.ts --help`;

export interface Outcome {
  benchmark: string;
  seconds: number;
  log: string;
  figures: Figure[];
  error?: string;
}

/** Runs one benchmark as a process and collects the figures it reported. */
async function runBenchmark(b: Benchmark, smoke: boolean, logDir: string, root: string): Promise<Outcome> {
  const log = join(logDir, `${b.name}.log`);
  const report = join(logDir, `${b.name}.report.jsonl`);
  const out = openSync(log, 'w');
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench', b.name, 'run.ts'), ...(smoke ? b.smoke : b.args)],
      {
        cwd: root,
        stdio: ['ignore', out, out],
        env: { ...process.env, [REPORT_ENV]: report },
      },
    );
    child.once('exit', (status) => resolve(status));
    child.once('error', () => resolve(null));
  });
  closeSync(out);
  const seconds = (performance.now() - started) / 1000;
  const figures = existsSync(report)
    ? readFileSync(report, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .flatMap((line) => (JSON.parse(line) as { figures: Figure[] }).figures)
    : [];
  // A benchmark exits 1 for a missed goal (bench/bundles, bench/diff's verdicts); that is a figure, not a failure,
  // as long as it reported its figures.
  const error =
    figures.length === 0
      ? `exited ${code} without reporting figures; the last lines of ${log}:\n${lastLines(log)}`
      : code !== 0 && code !== 1
        ? `exited ${code}; see ${log}`
        : undefined;
  return { benchmark: b.name, seconds, log, figures, ...(error ? { error } : {}) };
}

function lastLines(path: string, count = 20): string {
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
}

/** The summary: one row per figure, grouped by benchmark. */
export function summaryTable(outcomes: readonly Outcome[]): string {
  const rows = outcomes.flatMap((o) =>
    o.error
      ? [[o.benchmark, '(failed to run)', o.error.split('\n')[0]!, '', 'NO']]
      : o.figures.map((f) => [
          o.benchmark,
          f.figure,
          f.value,
          f.target ?? '',
          f.met === undefined ? (f.target ? 'n/a' : '') : f.met ? 'yes' : 'NO',
        ]),
  );
  const header = ['benchmark', 'figure', 'value', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const isMain = process.argv[1] !== undefined && import.meta.filename === process.argv[1];
if (isMain) {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      skip: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const names = (list?: string) =>
    new Set(
      (list ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  const only = names(values.only);
  const skip = names(values.skip);
  for (const name of [...only, ...skip])
    if (!BENCHMARKS.some((b) => b.name === name))
      throw new Error(`${name} is not a benchmark. Use one of ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const chosen = BENCHMARKS.filter((b) => (only.size === 0 || only.has(b.name)) && !skip.has(b.name));

  const root = join(import.meta.dirname, '..');
  const logDir = mkdtempSync(join(tmpdir(), 'tidemark-bench-'));
  mkdirSync(logDir, { recursive: true });
  // One local environment for all of them, started here when none runs and stopped again at the end.
  const wasRunning = readEnvironment() !== undefined;
  const env = await up((line) => console.error(`[local] ${line}`));
  const load = loadavg()[0]!;
  const outcomes: Outcome[] = [];
  try {
    for (const b of chosen) {
      console.error(`bench/${b.name}${values.smoke ? ' (smoke)' : ''} …`);
      const outcome = await runBenchmark(b, values.smoke, logDir, root);
      console.error(
        `bench/${b.name}: ${outcome.error ? 'FAILED' : `${outcome.figures.length} figures`} in ${outcome.seconds.toFixed(0)} s (log: ${outcome.log})`,
      );
      outcomes.push(outcome);
    }
  } finally {
    if (!wasRunning) await down(env);
  }
  console.log('');
  console.log(summaryTable(outcomes));
  const figures = outcomes.flatMap((o) => o.figures);
  const unmet = figures.filter((f) => f.met === false).length;
  console.log('');
  console.log(
    `${figures.length} figures from ${outcomes.length} benchmarks; ${figures.filter((f) => f.met).length} goals met, ${unmet} not met.` +
      ` Load average ${load.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (2 cores: timings scale with load).` +
      `${values.smoke ? ' Smoke sizes: the timings mean nothing.' : ''}`,
  );
  if (values.json) writeFileSync(values.json, JSON.stringify(outcomes, null, 2));
  process.exitCode = outcomes.some((o) => o.error) ? 1 : 0;
}
