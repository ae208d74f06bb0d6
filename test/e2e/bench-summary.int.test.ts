import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS, type Outcome } from '../../bench/run';

// `npm run bench`'s runner in smoke mode (tiny sizes), so no benchmark can rot unnoticed: each one runs to the end
// against the real servers and reports its figures. Timings at these sizes mean nothing, so none is asserted (the
// benchmarks themselves compare, in a quiet window, at full size). A local environment of its own: bench/e2e uses
// the demo's fixed namespaces, which the demo test uses at the same time in the suite's shared environment.

const root = join(import.meta.dirname, '../..');

describe('bench/run.ts --smoke', () => {
  it(
    'runs every benchmark and prints one summary table with a value for every figure',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'tidemark-bench-smoke-'));
      // Searchable by others: as root, the environment's PostgreSQL runs as the postgres user under this folder.
      chmodSync(dir, 0o755);
      try {
        const json = join(dir, 'outcomes.json');
        const run = spawnSync(
          process.execPath,
          ['--import', 'tsx', join(root, 'bench/run.ts'), '--smoke', '--json', json],
          {
            cwd: root,
            env: { ...process.env, TIDEMARK_LOCAL_DIR: join(dir, 'local') },
            encoding: 'utf8',
            timeout: 20 * 60_000,
          },
        );
        const outcomes = JSON.parse(readFileSync(json, 'utf8')) as Outcome[];
        expect(outcomes.filter((o) => o.error).map((o) => `${o.benchmark}: ${o.error}`)).toEqual([]);
        expect(run.status).toBe(0);
        expect(outcomes.map((o) => o.benchmark)).toEqual(BENCHMARKS.map((b) => b.name));
        for (const o of outcomes) {
          expect(o.figures.length, `${o.benchmark} reported no figures`).toBeGreaterThan(0);
          // A value was measured: present, and no arithmetic on a missing sample.
          for (const f of o.figures)
            expect(f.value, `${o.benchmark}: ${f.figure}`).toMatch(/^(?!.*(NaN|undefined|Infinity)).+$/);
        }
        // The table a user sees: a header, and a row per figure naming its benchmark.
        expect(run.stdout).toMatch(/^benchmark\s+figure\s+value\s+target\s+met$/m);
        for (const b of BENCHMARKS) expect(run.stdout).toMatch(new RegExp(`^${b.name}\\s`, 'm'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    25 * 60_000,
  );
});
