/**
 * Bundles one handler into `<outdir>/index.mjs` (+ its source map), as deployed:
 *   node --import tsx infra/bundle-function.ts functions/webhook/handler.ts OUTDIR
 * Run by the CDK stack at synth (see `functionCode` in function-code.ts).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from './function-code';

const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) {
  console.error('usage: bundle-function.ts ENTRY OUTDIR');
  process.exit(2);
}
await build(esbuildOptions(entry, join(outdir, 'index.mjs'), true));
