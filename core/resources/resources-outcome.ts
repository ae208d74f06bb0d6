import { maskedValue } from '../drift/mask-secret';
import type { DeclarationProblem } from './parse-declarations';
import type { FieldChange } from './reconciler';
import type { ResourceInventory } from './resource-inventory';

/**
 * What one reconcile did to one object, in the words `kubectl apply` uses where they fit. In a dry run the same words
 * say what would happen.
 * - `adopted`: an object without a marker (its declaration asked) or under an id in `adoptOwnerIds` now carries ours.
 * - `retained`: it left Git but its reconciler kept it (a database whose declaration never allowed dropping it).
 * - `conflict`: it exists and is not ours; nothing was changed.
 * - `skipped`: it left Git, but prune did not delete it (prune off or refused, or someone took it over).
 * - `waiting`: not attempted, because an object it depends on failed.
 */
export type ObjectAction =
  | 'created'
  | 'updated'
  | 'adopted'
  | 'unchanged'
  | 'deleted'
  | 'retained'
  | 'conflict'
  | 'failed'
  | 'skipped'
  | 'waiting';

/** A change as it may be shown and stored: a sensitive value is `(hidden)` on both sides. */
export interface ShownChange {
  path: string;
  from: unknown;
  to: unknown;
  immutable?: string;
}

export interface ObjectResult {
  /** `<Kind>/<identity>`. */
  key: string;
  /** The declaration, `resources/dns/api.yaml:3`; absent for an object that left Git. */
  source?: string;
  action: ObjectAction;
  changes: ShownChange[];
  /** Why it failed, conflicted, was skipped or retained. */
  message?: string;
  /** Tries of its last step (observe, apply or remove); more than 1 when it was retried. */
  attempts?: number;
  /** The changes were made outside Git (Git had not changed this object), so applying Git reverted them. */
  reverted?: boolean;
}

/**
 * How one reconcile of a folder ended. Expected failures are values: each kind maps to conditions in
 * {@link conditionsForResources}, whose exhaustive switch makes a kind without conditions a compile error.
 */
export type ResourcesOutcome =
  /** The config repo could not be read. */
  | { kind: 'fetch-failed'; revision?: string; message: string }
  /** A declaration is broken: nothing was applied or deleted. */
  | { kind: 'invalid'; revision: string; problems: DeclarationProblem[] }
  /** Every declared object matches Git, and prune did what it should. */
  | { kind: 'applied'; revision: string; results: ObjectResult[]; inventory: ResourceInventory }
  /** Some objects failed, conflicted or waited; the rest were applied. Nothing was pruned. */
  | { kind: 'failed'; revision: string; results: ObjectResult[]; inventory: ResourceInventory; message: string }
  /** Applied, but prune looked wrong and deleted nothing. */
  | { kind: 'prune-refused'; revision: string; results: ObjectResult[]; inventory: ResourceInventory; message: string };

/** A change with secrets masked: what every message, log line, status and stored item gets. */
export function shownChange(change: FieldChange): ShownChange {
  const hide = (v: unknown) => (change.sensitive && v !== undefined ? maskedValue : v);
  return {
    path: change.path,
    from: hide(change.from),
    to: hide(change.to),
    ...(change.immutable ? { immutable: change.immutable } : {}),
  };
}

export function countActions(results: readonly ObjectResult[]): Partial<Record<ObjectAction, number>> {
  const counts: Partial<Record<ObjectAction, number>> = {};
  for (const r of results) counts[r.action] = (counts[r.action] ?? 0) + 1;
  return counts;
}

/** `3 created, 1 updated, 496 unchanged`, in a fixed order. */
export function summariseActions(results: readonly ObjectResult[]): string {
  const counts = countActions(results);
  const order: ObjectAction[] = [
    'created',
    'updated',
    'adopted',
    'deleted',
    'retained',
    'failed',
    'conflict',
    'waiting',
    'skipped',
    'unchanged',
  ];
  const parts = order.filter((a) => counts[a]).map((a) => `${counts[a]} ${a}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing declared';
}

/** True when the object was not brought in line with Git. */
export function isFailure(result: ObjectResult): boolean {
  return result.action === 'failed' || result.action === 'conflict' || result.action === 'waiting';
}
