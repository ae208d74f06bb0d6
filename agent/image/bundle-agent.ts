/**
 * Bundles the agent image's program (`/app/main.js` and its chunks) into OUTDIR:
 *   node --import tsx agent/image/bundle-agent.ts OUTDIR
 * The one definition of the image's bundle: agent/Dockerfile runs this file, and so does the Docker-free build
 * (build-image.sh) that CI runs, so the image CI checks carries the bundle a release ships.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

/** The entry point of the image: the `tidemark` commands that belong in a cluster (agent, apply, reconcile). */
export const agentEntry = join(import.meta.dirname, '..', '..', 'cli', 'agent-main.ts');

/**
 * - `--splitting` puts what is imported lazily (the AWS SDK for the sync queue, client-node for exec-plugin
 *   kubeconfigs) in chunks loaded only when used, so an agent that only polls Git starts small.
 * - ESM with a `require` banner: CommonJS dependencies still find `require`.
 */
export function agentBundleOptions(outdir: string): BuildOptions {
  return {
    entryPoints: { main: agentEntry },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}

if (import.meta.main) {
  const outdir = process.argv[2];
  if (!outdir) {
    console.error('usage: bundle-agent.ts OUTDIR');
    process.exit(2);
  }
  rmSync(outdir, { recursive: true, force: true });
  await build(agentBundleOptions(outdir));
}
