import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions, Plugin } from 'esbuild';

/**
 * How every Tidemark function is bundled: one definition, used by the CDK stack (through {@link functionCode}) and by
 * `bench/bundles`, so the benchmark measures what is deployed.
 *
 * - ESM, so handlers may use top-level `await`; the banner gives CommonJS dependencies a `require`.
 * - The AWS SDK is bundled rather than taken from the runtime: the version we test is the version that runs, and a
 *   tree-shaken bundle initialises faster than the runtime's whole SDK.
 * - esbuild's JavaScript API rather than `NodejsFunction`'s own bundling, which runs the esbuild CLI and so cannot take
 *   the plugin below.
 */
export function esbuildOptions(entry: string, outfile: string, sourceMap: boolean): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    banner: {
      js: "import { createRequire as __tidemarkRequire } from 'node:module'; const require = __tidemarkRequire(import.meta.url);",
    },
    sourcemap: sourceMap ? 'external' : false,
    sourcesContent: false,
    plugins: [withoutZodLocales, withoutKubeconfigPlugins, isomorphicGitAsEsm, nodeSha1],
    logLevel: 'warning',
  };
}

/**
 * zod 4 exports every translation of its messages as `z.locales`, which keeps 250 KB of them in any bundle that uses
 * `z`. Tidemark writes its own messages and never switches locale (English is registered by zod's schemas module
 * directly, not through this index), so the index is replaced by an empty module.
 */
const withoutZodLocales: Plugin = {
  name: 'tidemark-without-zod-locales',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'tidemark-empty' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'tidemark-empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/**
 * `@kubernetes/client-node` is imported lazily, and only to run a kubeconfig's exec plugins or auth providers
 * (adapters/kubernetes/kube-credentials.ts). A function never has a kubeconfig: it reaches EKS with a bearer token of
 * its own role. Bundled, that one lazy import would carry the whole client and its HTTP stack (3.8 MB of a 4.8 MB
 * drift scanner), so a *dynamic* import of it is left out of the bundle and would fail with "Cannot find package" if
 * ever reached; a static import is still bundled, so code that starts to need the client keeps working.
 */
const withoutKubeconfigPlugins: Plugin = {
  name: 'tidemark-without-kubeconfig-plugins',
  setup(build) {
    build.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    );
  },
};

/**
 * isomorphic-git's `exports` map sends the `node` condition (which esbuild's platform `node` sets) to `index.cjs`, one
 * CommonJS module that esbuild must keep whole: 160 KB of the image updater, though it uses a dozen commands. The same
 * release's `index.js` is the same code as ES modules, which esbuild tree-shakes to the commands imported (78 KB).
 * `isomorphic-git/http/node` already resolves to its ESM build through the `import` condition.
 */
const isomorphicGitAsEsm: Plugin = {
  name: 'tidemark-isomorphic-git-as-esm',
  setup(build) {
    build.onResolve({ filter: /^isomorphic-git$/ }, async (args) => {
      if (args.pluginData === isomorphicGitAsEsm) return undefined; // the resolution below, not a second lookup
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: isomorphicGitAsEsm,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path.replace(/index\.cjs$/, 'index.js') };
    });
  },
};

/**
 * isomorphic-git hashes with `sha.js`, a pure-JavaScript SHA-1 for browsers, whose typed-array polyfills (`to-buffer`,
 * `which-typed-array`, `get-intrinsic`, …) add 26 KB to a function. It calls only `new Hash()`, `update(buffer)` and
 * `digest(encoding?)`, which Node's own `createHash('sha1')` answers the same way, so the module is replaced by that.
 */
const nodeSha1: Plugin = {
  name: 'tidemark-node-sha1',
  setup(build) {
    build.onResolve({ filter: /^sha\.js\/sha1(\.js)?$/ }, (args) =>
      /node_modules[\\/]isomorphic-git[\\/]/.test(args.importer)
        ? { path: 'sha1', namespace: 'tidemark-node-sha1' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'tidemark-node-sha1' }, () => ({
      contents:
        "import { createHash } from 'node:crypto'; export default function Sha1() { return createHash('sha1'); }",
      loader: 'js',
    }));
  },
};

/**
 * The deployment package of a handler, bundled at synth time by `infra/bundle-function.ts` in a child process (CDK's
 * local bundling hook is synchronous; esbuild plugins need its asynchronous API). Local only: a failure stops the
 * synth instead of falling back to Docker, so `cdk synth` never needs Docker.
 */
export function functionCode(entry: string): Code {
  const script = join(import.meta.dirname, 'bundle-function.ts');
  return Code.fromAsset(dirname(entry), {
    // The hash of the bundle itself: a change anywhere in the handler's imports redeploys it, nothing else does.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type; never pulled, since tryBundle succeeds or throws.
      image: DockerImage.fromRegistry('tidemark/bundled-locally-never-in-docker'),
      local: {
        tryBundle(outputDir: string): boolean {
          const r = spawnSync(process.execPath, ['--import', 'tsx', script, entry, outputDir], {
            cwd: join(import.meta.dirname, '..'),
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          if (r.status !== 0) {
            throw new Error(
              `bundling ${entry} failed (exit ${r.status ?? r.signal}); esbuild's errors are printed above`,
            );
          }
          return true;
        },
      },
    },
  });
}
