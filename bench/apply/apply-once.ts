// One `tidemark apply DIR --prune` as its own process, for the benchmark: the same engine as the CLI and the agent,
// and it prints what the API server was asked (by method) and the process's peak RSS, which the CLI does not.
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { readInventory, writeInventory } from '../../adapters/kubernetes/inventory-config-map';
import { sameInventory } from '../../core/sync/inventory';
import { appliedInventory } from '../../core/sync/sync-outcome';
import { syncFolder } from '../../engine/sync/sync-folder';

const [dir, name] = process.argv.slice(2) as [string, string];
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const sync = { namespace: 'default', name };
const started = performance.now();
const previous = await readInventory(cluster, sync);
const { outcome } = await syncFolder(cluster, {
  sync,
  dir,
  revision: 'bench',
  previous,
  prune: true,
  maxPruneShare: 0.2,
});
const inventory = appliedInventory(outcome);
if (inventory && !sameInventory(previous, inventory)) await writeInventory(cluster, sync, inventory);
const engineMs = performance.now() - started;
cluster.close();
const changes =
  'changeSet' in outcome
    ? Object.fromEntries(
        ['created', 'configured', 'unchanged'].map((a) => [a, outcome.changeSet.count(a as 'created')]),
      )
    : {};
process.stdout.write(
  `${JSON.stringify({
    outcome: outcome.kind,
    message: 'message' in outcome ? outcome.message : undefined,
    changes,
    engineMs,
    requests: Object.fromEntries(cluster.requestCounts),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
