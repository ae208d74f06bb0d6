import type { ChangeSet } from './change-set';
import type { Inventory } from './inventory';
import type { Stage } from './stage-order';

/** Health of the applied objects, summarised for the Sync's status. */
export interface HealthSummary {
  current: number;
  inProgress: number;
  failed: number;
  /** `Kind/namespace/name: message` for each object that is not current, at most 10. */
  notReady: string[];
}

/**
 * How one reconcile ended. Every kind maps to status conditions in `conditionsFor`, whose exhaustive switch makes an
 * outcome without conditions a compile error. Expected failures are values, not exceptions.
 */
export type SyncOutcome =
  | { kind: 'applied'; revision: string; changeSet: ChangeSet; inventory: Inventory; health: HealthSummary }
  | { kind: 'progressing'; revision: string; changeSet: ChangeSet; inventory: Inventory; health: HealthSummary }
  | { kind: 'health-failed'; revision: string; changeSet: ChangeSet; inventory: Inventory; health: HealthSummary }
  | { kind: 'spec-invalid'; revision?: undefined; message: string }
  | { kind: 'fetch-failed'; revision?: string; message: string }
  | { kind: 'render-failed'; revision: string; message: string }
  | {
      kind: 'apply-failed';
      revision: string;
      /** One line for the Ready condition, summing up `failures`. */
      message: string;
      /** Each failure on its own, naming its object and the fix. */
      failures: string[];
      changeSet: ChangeSet;
      /**
       * The previous inventory plus what this attempt did apply, when it got that far: an object created by a failed
       * reconcile must still be prunable once Git drops it.
       */
      inventory?: Inventory;
    }
  | { kind: 'prune-refused'; revision: string; message: string; changeSet: ChangeSet }
  | {
      kind: 'prune-failed';
      revision: string;
      message: string;
      failures: string[];
      changeSet: ChangeSet;
      inventory: Inventory;
    };

/** Failures shown in one message before the rest are counted: a condition message is read in `kubectl get`. */
const shownFailures = 5;

/** The Ready message of an apply that failed in `stage`: the first failures and how many more. */
export function applyFailedMessage(stage: Stage, failures: readonly string[]): string {
  const shown = failures.slice(0, shownFailures).join('; ');
  const more = failures.length > shownFailures ? `; and ${failures.length - shownFailures} more` : '';
  return `${failures.length} object(s) failed in the ${stage} stage, later stages were not applied: ${shown}${more}`;
}

/** The Ready message of a prune whose deletions failed. */
export function pruneFailedMessage(failures: readonly string[]): string {
  return `Prune failed: ${failures.join('; ')}`;
}

/** The inventory to record after this outcome, when it has a new one. */
export function appliedInventory(outcome: SyncOutcome): Inventory | undefined {
  return 'inventory' in outcome ? outcome.inventory : undefined;
}

/** The outcomes in which the revision was applied (fully, if maybe not yet healthy or pruned). */
export const appliedOutcomeKinds: readonly SyncOutcome['kind'][] = [
  'applied',
  'progressing',
  'health-failed',
  'prune-failed',
];

/** True when the revision was applied (fully, if maybe not yet healthy or pruned). */
export function revisionApplied(outcome: SyncOutcome): boolean {
  return appliedOutcomeKinds.includes(outcome.kind);
}
