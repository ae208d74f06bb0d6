import { appendFileSync } from 'node:fs';

/** One line of the benchmark summary: a figure, the goal it is held to, and whether it met it. */
export interface Figure {
  figure: string;
  /** The measured value, with its unit ("1.42 s", "0 writes", "3.1×"). */
  value: string;
  /** The goal ("≤ 1.3×", "≥ 2× faster than Flux"); absent for a figure printed for information. */
  target?: string;
  /** Whether `value` meets `target`; absent when there is no target or it was not measured. */
  met?: boolean;
}

/** Where benchmarks write their figures for `bench/run.ts` (one JSON line per benchmark). */
export const REPORT_ENV = 'TIDEMARK_BENCH_REPORT';

/**
 * Hands a benchmark's figures to `bench/run.ts`, which runs each benchmark as a process and prints one table. Does
 * nothing when the benchmark runs on its own (its own output says everything).
 */
export function reportFigures(benchmark: string, figures: readonly Figure[]): void {
  const path = process.env[REPORT_ENV];
  if (path) appendFileSync(path, `${JSON.stringify({ benchmark, figures })}\n`);
}
