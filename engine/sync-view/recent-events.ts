import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { syncKind } from '../../core/sync/sync';
import { age } from '../../core/sync/sync-view';

/** The Sync's last ten Events, newest first. */
export async function recentEvents(
  cluster: ClusterClient,
  sync: KubeObject,
): Promise<{ age: string; type: string; reason: string; message: string; time: string }[]> {
  const namespace = sync.metadata.namespace ?? 'default';
  const selector = new URLSearchParams({
    fieldSelector: `involvedObject.kind=${syncKind},involvedObject.name=${sync.metadata.name}`,
  });
  const list = await cluster
    .request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${namespace}/events?${selector}`)
    .catch(() => ({ items: [] as KubeObject[] }));
  const now = new Date();
  return list.items
    .map((e) => {
      const time = String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '');
      return {
        time,
        age: age(time, now),
        type: String(e.type ?? ''),
        reason: String(e.reason ?? ''),
        message: String(e.message ?? ''),
      };
    })
    .sort((a, b) => b.time.localeCompare(a.time))
    .slice(0, 10);
}
