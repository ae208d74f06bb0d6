import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { durationSeconds, syncApiVersion, syncKind } from '../../core/sync/sync';
import { type WaitTarget, type WaitVerdict, waitVerdict } from '../../core/sync/sync-view';

interface WaitOptions {
  namespace: string;
  for: string;
  timeout: string;
  kubeconfig?: string;
}

/**
 * `tidemark wait NAME --for revision=SHA|ready [--timeout 5m]`: for CI after a push. Exits 0 once the Sync is Ready (at
 * that revision), 1 with the reason when the timeout passes or when the revision cannot be applied (the Sync is stalled
 * on it: waiting cannot help), 2 for a usage error or a kubeconfig it cannot read.
 *
 * @example
 * tidemark wait prod -n tidemark-system --for revision=$(git rev-parse HEAD) --timeout 5m
 */
export function register(program: Command): void {
  program
    .command('wait')
    .description('wait until a Sync is Ready, or Ready at a revision; exit 1 with the reason when it is not')
    .argument('<name>', 'the Sync')
    .option('-n, --namespace <ns>', 'namespace of the Sync', 'tidemark-system')
    .requiredOption('--for <condition>', "'ready', or 'revision=SHA' (a full sha or a prefix of 7 or more)")
    .option('--timeout <duration>', 'how long to wait, such as 90s, 5m or 1h', '5m')
    .option('--kubeconfig <path>', 'kubeconfig to use')
    .action(async (name: string, options: WaitOptions) => {
      process.exitCode = await wait(name, options);
    });
}

export function parseTarget(text: string): WaitTarget | undefined {
  if (text === 'ready') return { kind: 'ready' };
  const revision = /^revision=([0-9a-fA-F]{7,64})$/.exec(text)?.[1];
  return revision ? { kind: 'revision', revision: revision.toLowerCase() } : undefined;
}

async function wait(name: string, options: WaitOptions): Promise<number> {
  const target = parseTarget(options.for);
  if (!target) {
    console.error(`tidemark: --for '${options.for}' is not a condition. Use --for ready or --for revision=SHA`);
    return 2;
  }
  const seconds = durationSeconds(options.timeout);
  if (seconds === undefined || seconds === 0) {
    console.error(`tidemark: --timeout '${options.timeout}' is not a duration. Use one such as 90s, 5m or 1h`);
    return 2;
  }
  let cluster: ClusterClient;
  try {
    cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`); // a missing or broken kubeconfig: its message says the fix
    return 2;
  }
  const ref = { apiVersion: syncApiVersion, kind: syncKind, namespace: options.namespace, name };
  const deadline = Date.now() + seconds * 1000;
  const what = target.kind === 'ready' ? 'Ready' : `Ready at revision ${target.revision.slice(0, 7)}`;
  let last = '';
  try {
    for (;;) {
      // Only a 404 means the Sync does not exist (cluster.get's undefined). An API server that does not answer or
      // refuses us is named as such, and waited out like any other reason: in CI it may be a moment's outage.
      const verdict = await cluster.get(ref).then(
        (sync) => waitVerdict(sync, target),
        (error: Error): WaitVerdict => ({ kind: 'pending', reason: `the Sync cannot be read: ${error.message}` }),
      );
      if (verdict.kind === 'met') {
        console.error(`tidemark: Sync ${options.namespace}/${name} is ${what}`);
        return 0;
      }
      if (verdict.kind === 'failed') {
        console.error(`tidemark: Sync ${options.namespace}/${name} will not be ${what}: ${verdict.reason}`);
        return 1;
      }
      last = verdict.reason;
      if (Date.now() >= deadline) break;
      // Polling a single object every second is cheaper for the API server than a watch it must set up and resume.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
    }
    console.error(`tidemark: Sync ${options.namespace}/${name} was not ${what} within ${options.timeout}: ${last}`);
    return 1;
  } finally {
    cluster.close();
  }
}
