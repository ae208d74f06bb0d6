import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { requestedAtAnnotation } from '../../core/sync/ownership';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import type { SyncStatus } from '../../core/sync/sync-status';

interface ReconcileOptions {
  namespace: string;
  kubeconfig?: string;
  wait?: boolean;
  timeout: string;
}

/**
 * `tidemark reconcile NAME`: asks the agent for an immediate reconcile by setting `tidemark.dev/requested-at` on the
 * Sync (as `flux reconcile` does with its annotation). With --wait, waits until the agent has answered that request
 * and prints the Ready condition.
 */
export function register(program: Command): void {
  program
    .command('reconcile')
    .description('ask the agent to reconcile a Sync now')
    .argument('<name>', 'the Sync')
    .option('-n, --namespace <ns>', 'namespace of the Sync', 'tidemark-system')
    .option('--kubeconfig <path>', 'kubeconfig to use')
    .option('--wait', 'wait until the agent has reconciled and print the result')
    .option('--timeout <seconds>', 'how long --wait waits', '120')
    .action(async (name: string, options: ReconcileOptions) => {
      process.exitCode = await reconcile(name, options);
    });
}

async function reconcile(name: string, options: ReconcileOptions): Promise<number> {
  const cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  const ref = { apiVersion: syncApiVersion, kind: syncKind, namespace: options.namespace, name };
  const requestedAt = new Date().toISOString();
  try {
    await cluster.mergePatch(ref, { metadata: { annotations: { [requestedAtAnnotation]: requestedAt } } });
    console.error(`tidemark: reconcile of Sync ${options.namespace}/${name} requested`);
    if (!options.wait) return 0;
    const deadline = Date.now() + Number(options.timeout) * 1000;
    while (Date.now() < deadline) {
      const sync = await cluster.get(ref);
      const status = (sync?.status ?? {}) as SyncStatus;
      if (status.lastHandledRequestedAt === requestedAt) {
        const ready = status.conditions?.find((c) => c.type === 'Ready');
        console.log(`${ready?.status === 'True' ? 'Ready' : 'Not ready'}: ${ready?.reason}: ${ready?.message}`);
        return ready?.status === 'True' ? 0 : 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.error(
      `tidemark: the agent did not answer within ${options.timeout} s; is it running? (kubectl -n tidemark-system get pods)`,
    );
    return 1;
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 1;
  } finally {
    cluster.close();
  }
}
