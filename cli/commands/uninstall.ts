import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { uninstallAgent } from '../../agent/install/uninstall-agent';

interface UninstallCliOptions {
  cluster: string;
  prune?: boolean;
  keepCrd?: boolean;
  kubeconfig?: string;
  timeout: string;
}

/**
 * `tidemark uninstall --cluster C [--prune]`: removes what `tidemark install --cluster C` created (found by its
 * label), the agent first. The workloads stay unless `--prune`. Exit 0 ok, 1 failed.
 */
export function register(program: Command): void {
  program
    .command('uninstall')
    .description('remove the agent a `tidemark install` created; the workloads it applied stay unless --prune')
    .requiredOption('--cluster <name>', 'the cluster name the install was made for')
    .option('--prune', "also delete what the install's Syncs applied (by the agent's prune rules)")
    .option('--keep-crd', 'keep the Sync CRD even when no Sync is left')
    .option('--kubeconfig <path>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)')
    .option('--timeout <seconds>', "how long to wait for the agent's pods to go", '120')
    .action(async (options: UninstallCliOptions) => {
      const say = (line: string) => console.error(line);
      const kube = ClusterClient.fromKubeconfig(options.kubeconfig);
      try {
        const result = await uninstallAgent(kube, {
          clusterName: options.cluster,
          prune: options.prune ?? false,
          keepCrd: options.keepCrd ?? false,
          say,
          timeoutMs: Number(options.timeout) * 1000,
        });
        for (const subject of result.deleted) say(`  deleted ${subject}`);
        for (const { subject, reason } of result.kept) say(`  kept ${subject}: ${reason}`);
        if (!options.prune && result.deleted.length > 0) {
          say('✔ uninstalled; the workloads the Syncs applied are left as they are (--prune deletes them)');
        } else if (result.deleted.length > 0) {
          say(`✔ uninstalled, and pruned ${result.pruned.length} objects the Syncs applied`);
        }
        process.exitCode = 0;
      } catch (error) {
        console.error(`tidemark uninstall: ${(error as Error).message}`);
        process.exitCode = 1;
      } finally {
        kube.close();
      }
    });
}
