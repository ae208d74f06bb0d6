import type { Inventory } from '../../core/sync/inventory';
import { managedByLabel, managedByValue, type SyncRef, syncLabelValue } from '../../core/sync/ownership';
import type { ClusterClient } from './cluster-client';

/**
 * Where `tidemark apply DIR --name N` keeps its inventory between runs when there is no Sync object to hold it: a
 * ConfigMap `tidemark-inventory-<name>` in the namespace the run acts for. Without a recorded inventory, prune would
 * have to trust labels alone, which DESIGN.md forbids.
 */
export function inventoryConfigMapName(sync: SyncRef): string {
  return `tidemark-inventory-${sync.name}`;
}

export async function readInventory(cluster: ClusterClient, sync: SyncRef): Promise<Inventory | undefined> {
  const map = await cluster.get({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: sync.namespace,
    name: inventoryConfigMapName(sync),
  });
  const text = (map?.data as Record<string, string> | undefined)?.['inventory.json'];
  return text ? (JSON.parse(text) as Inventory) : undefined;
}

export async function writeInventory(cluster: ClusterClient, sync: SyncRef, inventory: Inventory): Promise<void> {
  await cluster.apply({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: inventoryConfigMapName(sync),
      namespace: sync.namespace,
      labels: { [managedByLabel]: managedByValue },
      annotations: { 'tidemark.dev/inventory-of': syncLabelValue(sync) },
    },
    data: { 'inventory.json': JSON.stringify(inventory) },
  });
}
