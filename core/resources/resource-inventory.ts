/**
 * What a folder's reconciler applied, kept in its status in the State table: the only source prune trusts. An object
 * that is not in the previous inventory is never deleted, whatever the provider holds, so a record someone made by
 * hand (or another folder's) cannot be pruned by accident. Each entry keeps the spec it was last applied with:
 * `remove` needs it once the declaration has left Git (a database's `deletionPolicy`, a role's grants to revoke).
 */
export interface ResourceInventory {
  entries: ResourceInventoryEntry[];
}

export interface ResourceInventoryEntry {
  /** `<Kind>/<identity>`. */
  key: string;
  /** The declaration's `metadata.name` when last applied. */
  name: string;
  /** The spec last applied. Specs name secrets, never hold their values. */
  spec: unknown;
  /** The revision it was last applied at. */
  revision: string;
}

export const emptyInventory: ResourceInventory = { entries: [] };

/** Entries of `previous` whose keys are not declared any more: the candidates for prune. */
export function staleEntries(previous: ResourceInventory, declaredKeys: ReadonlySet<string>): ResourceInventoryEntry[] {
  return previous.entries.filter((entry) => !declaredKeys.has(entry.key));
}

/** The inventory sorted by key, so that an unchanged folder stores an identical inventory. */
export function sortedInventory(entries: Iterable<ResourceInventoryEntry>): ResourceInventory {
  const byKey = new Map<string, ResourceInventoryEntry>();
  for (const entry of entries) byKey.set(entry.key, entry);
  return { entries: [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key)) };
}
