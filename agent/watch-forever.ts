import type { ClusterClient, WatchEvent } from '../adapters/kubernetes/cluster-client';

export interface WatchTarget {
  apiVersion: string;
  kind: string;
  /** All namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Watches a kind until `signal` aborts. The API server ends a watch after a few minutes: it is resumed from the last
 * resourceVersion seen. Without one (the first start, or after 410 Gone) the watch begins with an ADDED event per
 * object, which the callers' own checks make cheap. A failed watch is reported and tried again 2 s later.
 */
export async function watchForever(
  cluster: Pick<ClusterClient, 'watch'>,
  target: WatchTarget,
  signal: AbortSignal,
  onEvent: (event: WatchEvent) => void,
  onFailure: (error: Error) => void,
): Promise<void> {
  const { apiVersion, kind, ...options } = target;
  let resourceVersion: string | undefined;
  while (!signal.aborted) {
    try {
      resourceVersion = await cluster.watch(apiVersion, kind, { ...options, resourceVersion, signal }, onEvent);
    } catch (error) {
      if (signal.aborted) return;
      onFailure(error as Error);
      resourceVersion = undefined;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}
