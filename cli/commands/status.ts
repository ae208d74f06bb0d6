import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { age, healthText, revisionText, shortSha, summarise } from '../../core/sync/sync-view';
import { type HealthNode, healthTree } from '../../engine/sync-view/health-tree';
import { recentEvents } from '../../engine/sync-view/recent-events';

interface StatusOptions {
  namespace: string;
  output: string;
  kubeconfig?: string;
}

/**
 * `tidemark status NAME [-n NS]`: what `tidemark get` shows for one Sync, plus the health of each object it applied
 * (with the ReplicaSets and Pods under its workloads, as `argocd app resources` shows), its last Events and its
 * inventory size. Exits 0 when the Sync is Ready, 1 when not or when it does not exist.
 */
export function register(program: Command): void {
  program
    .command('status')
    .description('one Sync in detail: readiness, objects and their health, recent events')
    .argument('<name>', 'the Sync')
    .option('-n, --namespace <ns>', 'namespace of the Sync', 'tidemark-system')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--kubeconfig <path>', 'kubeconfig to use')
    .action(async (name: string, options: StatusOptions) => {
      process.exitCode = await status(name, options);
    });
}

async function status(name: string, options: StatusOptions): Promise<number> {
  let cluster: ClusterClient;
  try {
    cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`); // a missing or broken kubeconfig: its message says the fix
    return 1;
  }
  try {
    const sync = await cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace: options.namespace, name });
    if (!sync) {
      console.error(`tidemark: Sync ${options.namespace}/${name} does not exist. List them with 'tidemark get -A'`);
      return 1;
    }
    const summary = summarise(sync);
    const [tree, events] = await Promise.all([healthTree(cluster, sync), recentEvents(cluster, sync)]);
    if (options.output === 'json') {
      console.log(JSON.stringify({ ...summary, objects: tree, events }, null, 2));
    } else {
      const now = new Date();
      const lines = [
        `Sync ${summary.namespace}/${summary.name}`,
        `  Source:     ${summary.url} (${summary.branch}) ${summary.path}`,
        `  Revision:   ${revisionText(summary)}${summary.lastSyncTime ? ` (applied ${age(summary.lastSyncTime, now)} ago)` : ''}`,
        ...(summary.attemptedRevision && summary.attemptedRevision !== summary.revision
          ? [`  Attempted:  ${shortSha(summary.attemptedRevision)}`]
          : []),
        `  Ready:      ${summary.ready} ${summary.reason}: ${summary.message}`,
        ...(summary.stalled ? ['  Stalled:    retrying will not help until Git changes'] : []),
        ...(summary.suspended ? ['  Suspended:  spec.suspend is true; nothing is applied'] : []),
        `  Health:     ${healthText(summary)}`,
        `  Inventory:  ${summary.inventory} objects`,
        `  Drift:      ${summary.drift === undefined ? 'not reported by this agent' : `${summary.drift} objects`}`,
        '',
        'Objects',
        ...(tree.length > 0 ? tree.flatMap((n) => treeLines(n, '  ')) : ['  (none applied)']),
        '',
        'Events',
        ...(events.length > 0
          ? events.map((e) => `  ${e.age.padStart(4)}  ${e.type.padEnd(7)}  ${e.reason.padEnd(15)}  ${e.message}`)
          : ['  (none)']),
      ];
      console.log(lines.join('\n'));
    }
    return summary.ready === 'True' ? 0 : 1;
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 1;
  } finally {
    cluster.close();
  }
}

function treeLines(node: HealthNode, indent: string): string[] {
  const line = `${indent}${node.object.padEnd(Math.max(10, 56 - indent.length))} ${node.status}${node.message ? `  ${node.message}` : ''}`;
  return [line, ...node.children.flatMap((c) => treeLines(c, `${indent}  `))];
}
