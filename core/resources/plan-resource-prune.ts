import type { Observed } from './reconciler';

/** Whether prune may run at all this reconcile, before any stale object is looked at. */
export type PruneGate = { kind: 'allowed' } | { kind: 'refused'; reason: string };

export interface PruneGateInput {
  /** Objects in the previous inventory, the base of the share. */
  previousCount: number;
  /** Declarations in the folder now. */
  declaredCount: number;
  /** Previous entries no longer declared. */
  staleCount: number;
  /** 0–1: the largest share of the previous inventory one reconcile may delete (`maxPrunePercent` / 100). */
  maxPruneShare: number;
  /** How many declared objects could not be observed or applied this run. */
  failedCount: number;
}

/**
 * Decides whether prune runs. It deletes nothing when the folder is empty (a wrong path or a bad merge, far more often
 * than an intent to delete every record), when it would delete more than `maxPrunePercent` of what was applied, or
 * when any declared object failed this run (an unreachable database: a run that could not see the provider must not
 * act on what it did not see). A refused prune costs nothing; a wrong one takes a zone's records.
 */
export function gatePrune(input: PruneGateInput): PruneGate {
  if (input.staleCount === 0) return { kind: 'allowed' };
  if (input.failedCount > 0) {
    return {
      kind: 'refused',
      reason: `${input.failedCount} declared object${input.failedCount === 1 ? '' : 's'} failed this run, so the ${input.staleCount} that left Git are kept until a run succeeds`,
    };
  }
  if (input.declaredCount === 0) {
    return {
      kind: 'refused',
      reason: `the folder declares nothing, so prune would delete all ${input.previousCount} objects; check the folder's path, or delete them by hand if that is the intent`,
    };
  }
  const share = input.staleCount / Math.max(input.previousCount, 1);
  if (share > input.maxPruneShare) {
    return {
      kind: 'refused',
      reason: `prune would delete ${input.staleCount} of ${input.previousCount} objects (${Math.round(share * 100)}%), more than maxPrunePercent ${Math.round(input.maxPruneShare * 100)}%; raise maxPrunePercent in tidemark.config.yaml for this run if it is intended`,
    };
  }
  return { kind: 'allowed' };
}

/** What happens to one stale object, once observed. */
export type StaleDecision = { kind: 'gone' } | { kind: 'remove' } | { kind: 'skip'; reason: string };

/** A stale object is removed only while it still carries this folder's marker: someone may have taken it over since. */
export function decideStale(observed: Observed<unknown> | undefined, ownerId: string): StaleDecision {
  if (observed === undefined) return { kind: 'gone' };
  if (observed.owner === ownerId) return { kind: 'remove' };
  return {
    kind: 'skip',
    reason:
      observed.owner === null
        ? "its ownership marker was removed, so it is no longer Tidemark's"
        : `it now belongs to owner id '${observed.owner}'`,
  };
}
