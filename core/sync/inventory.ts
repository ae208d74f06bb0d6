import { isPlainObject, type KubeObject } from './kube-object';
import { objectIdOf, objectKey, parseObjectKey } from './object-id';

/**
 * What a Sync applied last time, kept in its status: the only source prune trusts. An object that is not in the
 * previous inventory is never deleted, whatever its labels say, so a mislabelled object cannot be pruned by accident.
 * Same shape as Flux's `status.inventory` (`id` in `<namespace>_<name>_<group>_<kind>` form, `v` the version).
 */
export interface Inventory {
  entries: InventoryEntry[];
}

export interface InventoryEntry {
  id: string;
  v: string;
}

export function inventoryOf(objects: readonly KubeObject[]): Inventory {
  const entries = objects.map((object) => ({ id: objectKey(objectIdOf(object)), v: versionOf(object.apiVersion) }));
  entries.sort((a, b) => a.id.localeCompare(b.id));
  return { entries };
}

/** Whether two inventories hold the same entries (so recording the new one would change nothing). */
export function sameInventory(a: Inventory | undefined, b: Inventory | undefined): boolean {
  return JSON.stringify(a?.entries ?? []) === JSON.stringify(b?.entries ?? []);
}

/** Entries of `previous` that `current` no longer holds: the candidates for prune. */
export function staleEntries(previous: Inventory, current: Inventory): InventoryEntry[] {
  const now = new Set(current.entries.map((entry) => entry.id));
  return previous.entries.filter((entry) => !now.has(entry.id));
}

/** The apiVersion to address an inventory entry with; the core group has no slash. */
export function apiVersionOf(entry: InventoryEntry, group: string): string {
  return group === '' ? entry.v : `${group}/${entry.v}`;
}

/**
 * The kinds an inventory holds (`apiVersion` and `kind`), read from a Sync's status as the API server returns it, so an
 * entry that is not of the inventory's shape is skipped rather than trusted.
 */
export function inventoryKinds(inventory: unknown): { apiVersion: string; kind: string }[] {
  const entries =
    isPlainObject(inventory) && Array.isArray(inventory.entries) ? inventory.entries.filter(isPlainObject) : [];
  return entries.flatMap((entry) => {
    try {
      const id = parseObjectKey(String(entry.id));
      return [{ apiVersion: id.group ? `${id.group}/${entry.v}` : String(entry.v), kind: id.kind }];
    } catch {
      return [];
    }
  });
}

function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}
