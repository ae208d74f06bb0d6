import type { Reconciler } from '../../core/resources/reconciler';
import { defaultConcurrency, inParallel } from '../concurrency';

/**
 * Runs `task` over each stage in order, and within a stage in parallel with each kind's own limit (its reconciler's
 * `concurrency`): Route 53 allows five requests a second per account, a database many more connections.
 */
export async function runInStages<T>(
  stages: readonly (readonly T[])[],
  reconcilerOf: (item: T) => Reconciler,
  task: (item: T) => Promise<void>,
): Promise<void> {
  for (const stage of stages) {
    const byKind = new Map<Reconciler, T[]>();
    for (const item of stage) {
      const reconciler = reconcilerOf(item);
      byKind.set(reconciler, [...(byKind.get(reconciler) ?? []), item]);
    }
    await Promise.all(
      [...byKind].map(([reconciler, items]) =>
        inParallel(items, reconciler.concurrency ?? defaultConcurrency.resourceChanges, task),
      ),
    );
  }
}
