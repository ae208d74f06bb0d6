/**
 * How much each engine asks of the API server at once, in one place. Each number trades time against the API server's
 * priority-and-fairness queues and the memory of the process holding the answers; they were measured on the
 * benchmarks (bench/apply, bench/diff) against a two-core API server.
 */
export const defaultConcurrency = {
  /** Applies (and their dry-runs) in flight during one reconcile. */
  applies: 16,
  /** LISTs of the live state, one per kind, during one reconcile. */
  lists: 8,
  /** GETs of the stale inventory entries a prune looks at. */
  staleReads: 8,
  /** DELETEs in flight within one stage of a prune. */
  deletes: 8,
  /** Object verdicts (cache, local check or dry-run) in flight during one drift scan. */
  scanObjects: 16,
  /** LISTs per kind during one drift scan: fewer than a reconcile's, since a scanner scans several clusters at once. */
  scanLists: 4,
  /** Reconciles of different Syncs at once in the agent: the API server usually shares the machine's cores. */
  reconciles: 2,
  /**
   * Fetches (git processes) at once in the agent, apart from the reconciles: a git server that never answers holds a
   * fetch for up to the Sync's spec.timeout, and must not hold the applies of every other Sync meanwhile.
   */
  fetches: 8,
  /** Clusters one drift-scanner run scans at once: each holds a connection pool and dry-runs in flight, and four
   * keeps a 256 MB Lambda calm. */
  scannedClusters: 4,
  /** Objects beyond Kubernetes (record sets, roles) one reconciler observes or applies at once, unless its own
   * `concurrency` says otherwise (Route 53 allows five requests a second per account, a database many more). */
  resourceChanges: 8,
  /** Targets the hydrator renders at once: each is a kustomize or Helm process, so about the cores of a Lambda. */
  renders: 3,
} as const;

/**
 * Runs `task` over `items` with at most `limit` in flight, in order of start, and waits for all of them: the one bounded
 * pool of the project. Applying thousands of objects one by one (as kubectl does) spends its time waiting on round
 * trips; all at once would flood the API server's priority and fairness queues. A bounded pool needs ten lines, so no
 * dependency is added for it.
 */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
