import type { ClusterClient } from '../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../core/sync/kube-object';
import type { SyncEvent } from '../core/sync/sync-events';

/**
 * Records a Kubernetes Event on a Sync (what `kubectl describe sync` and `kubectl events` show). Events are a courtesy
 * to the operator: failing to write one is logged by the caller, never fails a reconcile. Which Events an outcome
 * gets is decided in core/sync/sync-events.ts.
 */
export async function recordEvent(cluster: ClusterClient, sync: KubeObject, event: SyncEvent): Promise<void> {
  const now = new Date().toISOString();
  const namespace = sync.metadata.namespace ?? 'default';
  await cluster.create({
    apiVersion: 'v1',
    kind: 'Event',
    // Named like client-go's recorder: the object's name and a unique hex suffix.
    metadata: {
      name: `${sync.metadata.name}.${Date.now().toString(16)}${Math.random().toString(16).slice(2, 6)}`,
      namespace,
    },
    involvedObject: {
      apiVersion: sync.apiVersion,
      kind: sync.kind,
      name: sync.metadata.name,
      namespace,
      uid: sync.metadata.uid,
      resourceVersion: sync.metadata.resourceVersion,
    },
    type: event.type,
    reason: event.reason,
    // The API server caps an Event message at 1 KiB of practical use; long change lists are summarised by the caller.
    message: event.message.slice(0, 1024),
    source: { component: 'tidemark-agent' },
    reportingComponent: 'tidemark.dev/agent',
    reportingInstance: process.env.HOSTNAME ?? 'tidemark-agent',
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  });
}
