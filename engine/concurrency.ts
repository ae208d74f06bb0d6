/**
 * Runs `task` over `items` with at most `limit` in flight, in order of start, and waits for all of them. Applying
 * thousands of objects one by one (as kubectl does) spends its time waiting on round trips; all at once would flood
 * the API server's priority and fairness queues. A bounded pool needs ten lines, so no dependency is added for it.
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
