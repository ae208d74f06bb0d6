import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { credentialsFromKubeconfig } from '../../adapters/kubernetes/kube-credentials';
import { FileDriftCache } from '../../adapters/state/file-drift-cache';
import { renderWithCache } from '../../adapters/state/file-render-cache';
import { fieldLine, findingTitle } from '../../core/alerts/describe-drift';
import type { DriftReport } from '../../core/drift/drift-report';
import { parseIgnoreRules } from '../../core/drift/ignore-rules';
import { type SyncRef, selectorFor } from '../../core/sync/ownership';
import { diffFolder } from '../../engine/drift/diff-folder';
import type { DriftScanStats } from '../../engine/drift/scan-drift';
import { renderFolder } from '../../engine/render/render-folder';

export interface DiffOptions {
  kubeconfig?: string;
  /** The Sync the folder is applied as (`tidemark apply DIR --name N`); its labels select the live objects. */
  name?: string;
  namespace?: string;
  /** `.tidemark/drift.yaml` text; by default read from the folder's repository root if found. */
  ignoreRules?: string;
  /** Skip the on-disk verdict cache (every object is checked against the API server again). */
  noCache?: boolean;
  cacheDir?: string;
}

/**
 * `tidemark diff DIR`: the scanner's drift scan of a local folder against the kubeconfig's cluster, for humans and CI:
 * the engine's `diffFolder`, the one the Lambda runs, with the render and the verdicts cached on disk.
 */
export async function diffLocal(
  dir: string,
  options: DiffOptions = {},
): Promise<{ report: DriftReport; stats: DriftScanStats }> {
  const sync: SyncRef = { namespace: options.namespace ?? 'default', name: options.name ?? basename(resolve(dir)) };
  const cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  try {
    const cache = options.noCache
      ? undefined
      : new FileDriftCache(serverOf(options.kubeconfig), selectorFor(sync), options.cacheDir);
    return await diffFolder(cluster, {
      dir,
      ...(cache ? { render: (folder: string) => renderWithCache(folder, cache.dir, renderFolder) } : {}),
      sync,
      cluster: sync.name,
      rules: parseIgnoreRules(options.ignoreRules ?? (await ignoreRulesNear(dir))),
      cache,
      now: new Date(),
    });
  } finally {
    cluster.close();
  }
}

/** Exit codes as `kubectl diff`: 0 in sync, 1 drift, 2 error (DESIGN.md, CLI table). */
export function register(program: Command): void {
  program
    .command('diff')
    .description('show how a cluster differs from a folder of manifests (exit 0 in sync, 1 drift, 2 error)')
    .argument('<dir>', 'folder of manifests or kustomization, as `tidemark apply` takes it')
    .option('--kubeconfig <path>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)')
    .option('--name <name>', 'the Sync name the folder is applied as (default: the folder name)')
    .option('-n, --namespace <namespace>', 'namespace of that Sync', 'default')
    .option('--ignore <file>', 'drift ignore rules (default: .tidemark/drift.yaml of the repository holding DIR)')
    .option('--no-cache', 'check every object against the API server again')
    .option('--output <format>', 'text or json (the DriftReport)', 'text')
    .action(async (dir: string, opts: Record<string, string | boolean | undefined>) => {
      try {
        if (opts.output !== 'text' && opts.output !== 'json') {
          throw new Error(`--output: '${String(opts.output)}' is not a format. Use 'text' or 'json'`);
        }
        const ignoreRules = typeof opts.ignore === 'string' ? await readText(opts.ignore) : undefined;
        const { report, stats } = await diffLocal(dir, {
          kubeconfig: opts.kubeconfig as string | undefined,
          name: opts.name as string | undefined,
          namespace: opts.namespace as string | undefined,
          ignoreRules,
          noCache: opts.cache === false,
        });
        if (opts.output === 'json') console.log(JSON.stringify(report, null, 2));
        else printText(report, stats);
        process.exitCode = report.findings.length > 0 ? 1 : 0;
      } catch (error) {
        console.error(`tidemark diff: ${(error as Error).message}`);
        process.exitCode = 2;
      }
    });
}

function printText(report: DriftReport, stats: DriftScanStats): void {
  for (const finding of report.findings) {
    console.log(findingTitle(finding));
    if (finding.kind === 'modified') for (const field of finding.fields) console.log(`  ${fieldLine(field, 200)}`);
  }
  const drifted = report.findings.length;
  const ignored = report.ignoredFields > 0 ? `, ${report.ignoredFields} field(s) ignored by rule` : '';
  console.error(
    `${drifted === 0 ? 'In sync' : `${drifted} finding(s)`}: ${report.objectsScanned} objects compared` +
      ` (${stats.cached} cached, ${stats.filtered} proven unchanged from managedFields, ${stats.dryRuns} dry-runs)${ignored}`,
  );
}

async function readText(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path, 'utf8');
}

/** `.tidemark/drift.yaml` in DIR or the nearest folder above it that has one (the config repo's root). */
async function ignoreRulesNear(dir: string): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  let current = resolve(dir);
  for (;;) {
    try {
      return await readFile(resolve(current, '.tidemark/drift.yaml'), 'utf8');
    } catch {
      const parent = resolve(current, '..');
      if (parent === current) return undefined;
      current = parent;
    }
  }
}

/** The API server URL, which keys the on-disk cache (resourceVersions of two clusters can coincide). */
function serverOf(kubeconfig: string | undefined): string {
  return credentialsFromKubeconfig(kubeconfig).server.href;
}
