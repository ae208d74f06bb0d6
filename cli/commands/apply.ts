import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { readInventory, writeInventory } from '../../adapters/kubernetes/inventory-config-map';
import { conditionsFor } from '../../core/sync/conditions';
import { sameInventory } from '../../core/sync/inventory';
import { appliedInventory, type SyncOutcome } from '../../core/sync/sync-outcome';
import { syncFolder } from '../../engine/sync/sync-folder';

interface ApplyOptions {
  kubeconfig?: string;
  name?: string;
  namespace: string;
  prune?: boolean;
  dryRun?: boolean;
  maxPrunePercent: string;
  output: string;
}

/**
 * `tidemark apply DIR`: one reconcile of a local folder with the agent's engine (render, staged server-side apply,
 * prune, health). Exit 0 when it applied, 1 when anything failed (DESIGN.md, the CLI table).
 */
export function register(program: Command): void {
  program
    .command('apply')
    .description("apply a folder of manifests once, with the agent's engine, and print what changed")
    .argument('<dir>', 'folder of YAML manifests, or with a kustomization.yaml')
    .option('--kubeconfig <path>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)')
    .option('--name <name>', 'name this set of objects; labels and the prune inventory use it (default: folder name)')
    .option('-n, --namespace <ns>', 'namespace holding the inventory ConfigMap', 'default')
    .option('--prune', 'delete objects this name applied before that are no longer in the folder')
    .option('--max-prune-percent <n>', 'refuse to prune more than this share of the previous objects', '20')
    .option('--dry-run', 'ask the API server what would change; change nothing')
    .option('--output <format>', 'text or json', 'text')
    .action(async (dir: string, options: ApplyOptions) => {
      process.exitCode = await apply(dir, options);
    });
}

async function apply(dir: string, options: ApplyOptions): Promise<number> {
  const sync = { namespace: options.namespace, name: options.name ?? basename(resolve(dir)) };
  const cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  try {
    const previous = await readInventory(cluster, sync);
    const { outcome } = await syncFolder(cluster, {
      sync,
      dir,
      revision: 'local',
      previous,
      prune: options.prune ?? false,
      maxPruneShare: Number(options.maxPrunePercent) / 100,
      dryRun: options.dryRun,
    });
    const inventory = appliedInventory(outcome);
    // Written only when it changed, so a steady-state run makes no write at all.
    if (inventory && !options.dryRun && !sameInventory(previous, inventory))
      await writeInventory(cluster, sync, inventory);
    print(outcome, options.output, options.dryRun ?? false);
    return outcome.kind === 'applied' || outcome.kind === 'progressing' ? 0 : 1;
  } catch (error) {
    console.error(`tidemark: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    cluster.close();
  }
}

function print(outcome: SyncOutcome, format: string, dryRun: boolean): void {
  const ready = conditionsFor(outcome)[0];
  const changes = 'changeSet' in outcome ? outcome.changeSet.changes : [];
  if (format === 'json') {
    // A dry run applied nothing, so there is no health to report.
    const health = 'health' in outcome && !dryRun ? outcome.health : undefined;
    console.log(JSON.stringify({ outcome: outcome.kind, message: ready?.message, changes, health }, null, 2));
    return;
  }
  if ('changeSet' in outcome) console.log(outcome.changeSet.summary());
  if ('health' in outcome && !dryRun) {
    const { current, inProgress, failed, notReady } = outcome.health;
    console.log(`health: ${current} current, ${inProgress} in progress, ${failed} failed`);
    for (const line of notReady) console.log(`  ${line}`);
  }
  if (outcome.kind !== 'applied' && !(dryRun && outcome.kind === 'progressing'))
    console.error(`tidemark: ${ready?.reason}: ${ready?.message}`);
}
