import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How every Tidemark function is bundled. One definition, read by the CDK construct (`TidemarkFunction`) and by
 * `bench/bundles`, so the benchmark measures the bundle that is deployed.
 *
 * - ESM, because handlers may use top-level `await` to build clients once per container, and the banner gives
 *   CommonJS dependencies (some AWS SDK internals, `@kubernetes/client-node`'s transitive deps) a `require`.
 * - The AWS SDK is bundled rather than taken from the runtime: the version we test is the version that runs, and a
 *   tree-shaken bundle initialises faster than the runtime's full SDK.
 */
export const functionBundling = {
  target: 'node24',
  minify: true,
  mainFields: ['module', 'main'],
  banner:
    "import { createRequire as __tidemarkRequire } from 'node:module'; const require = __tidemarkRequire(import.meta.url);",
} as const;

/** The `bundling` prop of a `NodejsFunction`: local esbuild only (a Docker fallback would break offline synth). */
export function cdkBundlingOptions(): BundlingOptions {
  return {
    target: functionBundling.target,
    minify: functionBundling.minify,
    format: OutputFormat.ESM,
    mainFields: [...functionBundling.mainFields],
    banner: functionBundling.banner,
    // Source maps for readable stack traces; without their sources they add little to the zip.
    sourceMap: true,
    sourceMapMode: SourceMapMode.EXTERNAL,
    sourcesContent: false,
    externalModules: [],
    bundleAwsSDK: true,
    forceDockerBundling: false,
  };
}

/** The same build as {@link cdkBundlingOptions}, as esbuild options, for measuring a bundle outside CDK. */
export function esbuildOptions(entry: string, outfile: string, sourceMap: boolean): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: functionBundling.target,
    minify: functionBundling.minify,
    mainFields: [...functionBundling.mainFields],
    banner: { js: functionBundling.banner },
    sourcemap: sourceMap ? 'external' : false,
    sourcesContent: false,
    logLevel: 'warning',
  };
}
