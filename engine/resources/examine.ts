import type { Declaration } from '../../core/resources/declaration';
import { type Ownership, type OwnershipPolicy, ownershipOf } from '../../core/resources/ownership';
import type { FieldChange, Observed, ReconcileContext, Reconciler } from '../../core/resources/reconciler';
import { messageOf, type RetryDeps, withRetries } from './with-retries';

/** One declared object after observe and plan: what exists, whose it is, and what applying Git would change. */
export interface Examined {
  declaration: Declaration;
  reconciler: Reconciler;
  observed: Observed<unknown> | undefined;
  ownership: Ownership;
  changes: FieldChange[];
  attempts: number;
}

export type Examination =
  | { kind: 'examined'; examined: Examined }
  | { kind: 'failed'; declaration: Declaration; message: string; attempts: number };

/**
 * Observes one declared object (retried with backoff) and plans it. Planning happens for objects of other owners too,
 * so a conflict can say what would change; nothing here writes. A plan that throws is a bug in the reconciler, and
 * fails this object with its message rather than the run.
 */
export async function examine(
  declaration: Declaration,
  reconciler: Reconciler,
  ctx: ReconcileContext<unknown>,
  policy: OwnershipPolicy,
  retry?: RetryDeps,
): Promise<Examination> {
  let observed: Observed<unknown> | undefined;
  let attempts: number;
  try {
    ({ value: observed, attempts } = await withRetries(() => reconciler.observe(declaration.spec, ctx), retry));
  } catch (error) {
    const tries = (error as { attempts?: number }).attempts ?? 1;
    return { kind: 'failed', declaration, message: `observe failed: ${messageOf(error)}`, attempts: tries };
  }
  let changes: FieldChange[];
  try {
    changes = reconciler.plan(declaration.spec, observed?.state);
  } catch (error) {
    return { kind: 'failed', declaration, message: `plan failed: ${messageOf(error)}`, attempts };
  }
  const ownership = ownershipOf(observed, declaration, policy);
  return { kind: 'examined', examined: { declaration, reconciler, observed, ownership, changes, attempts } };
}

/** The reasons a plan cannot be applied in place, joined for one message. */
export function immutableReasons(changes: readonly FieldChange[]): string | undefined {
  const reasons = changes.flatMap((c) => (c.immutable ? [`${c.path}: ${c.immutable}`] : []));
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}
