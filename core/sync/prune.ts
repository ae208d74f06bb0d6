import type { InventoryEntry } from './inventory';
import type { KubeObject } from './kube-object';
import { type ObjectId, parseObjectKey } from './object-id';
import { isOwnedBy, pruneAnnotation, type SyncRef } from './ownership';
import { stageOf, stages } from './stage-order';

/** Kinds whose deletion loses data or takes everything inside with it: pruned only when the object opts in. */
const protectedKinds = new Set(['Namespace', 'PersistentVolumeClaim', 'PersistentVolume', 'CustomResourceDefinition']);

/** A stale inventory entry and what the cluster holds for it now (undefined when it is already gone). */
export interface StaleObject {
  entry: InventoryEntry;
  live: KubeObject | undefined;
}

export type PrunePlan =
  | { kind: 'refused'; reason: string }
  | { kind: 'planned'; delete: ObjectId[]; skip: { id: ObjectId; reason: string }[] };

export interface PruneInput {
  sync: SyncRef;
  /** Size of the previous inventory, the base of the share. */
  previousCount: number;
  /** Objects in the current render. */
  renderedCount: number;
  stale: readonly StaleObject[];
  /** 0–1: the largest share of the previous inventory one reconcile may delete (at least one object, unless 0). */
  maxPruneShare: number;
}

/**
 * Decides what prune deletes. An object is deleted only when it is in the previous inventory, left the render, and
 * still carries this Sync's labels (someone may have adopted it since). Everything is refused when the render is
 * empty or the deletion would exceed `maxPruneShare`: both usually mean a wrong path or a broken generator rather than
 * an intent to delete, and a refused prune costs nothing while a wrong one can take a production namespace. One object
 * is always allowed (unless the share is 0): otherwise no share under 34 % would let a Sync of 3 objects prune any.
 * Deletions come in reverse stage order, so custom resources go before their CRD and objects before their Namespace.
 */
export function planPrune(input: PruneInput): PrunePlan {
  if (input.stale.length === 0) return { kind: 'planned', delete: [], skip: [] };
  if (input.renderedCount === 0) {
    return {
      kind: 'refused',
      reason: `the render is empty, so prune would delete all ${input.previousCount} objects; check the Sync's path, or delete the objects by hand if that is the intent`,
    };
  }
  const share = input.stale.length / Math.max(input.previousCount, 1);
  // (+1e-9: a percentage over 100 is not exact in binary; 29 % of 100 must allow 29, not 28.)
  const allowed =
    input.maxPruneShare > 0 ? Math.max(1, Math.floor(input.previousCount * input.maxPruneShare + 1e-9)) : 0;
  if (input.stale.length > allowed) {
    return {
      kind: 'refused',
      reason: `prune would delete ${input.stale.length} of ${input.previousCount} objects (${Math.round(share * 100)}%), more than maxPrunePercent ${Math.round(input.maxPruneShare * 100)}%; raise spec.maxPrunePercent if this is intended`,
    };
  }
  const toDelete: ObjectId[] = [];
  const skip: { id: ObjectId; reason: string }[] = [];
  for (const { entry, live } of input.stale) {
    const id = parseObjectKey(entry.id);
    if (live === undefined) continue;
    if (live.metadata.deletionTimestamp) continue;
    if (!isOwnedBy(live, input.sync)) {
      skip.push({ id, reason: "no longer carries this Sync's labels" });
    } else if (protectedKinds.has(id.kind) && live.metadata.annotations?.[pruneAnnotation] !== 'allow') {
      skip.push({ id, reason: `a ${id.kind} is pruned only with the annotation ${pruneAnnotation}: allow` });
    } else {
      toDelete.push(id);
    }
  }
  const rank = (id: ObjectId) => stages.indexOf(stageOf(id));
  toDelete.sort((a, b) => rank(b) - rank(a));
  return { kind: 'planned', delete: toDelete, skip };
}
