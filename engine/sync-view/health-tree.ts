import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { healthOf } from '../../core/sync/health';
import { isPlainObject, type KubeObject } from '../../core/sync/kube-object';
import { describeObject, parseObjectKey } from '../../core/sync/object-id';

// The objects of a Sync as `tidemark status` and `tidemark ui` show them (moved from cli/commands/status.ts).

/** One object of the Sync's inventory with its health, and the objects its controllers made for it (ReplicaSets, Pods). */
export interface HealthNode {
  object: string;
  status: string;
  message: string;
  children: HealthNode[];
}

/** Kinds whose controllers make objects worth showing under them, and what they make. */
const childKinds: Record<string, { apiVersion: string; kind: string }[]> = {
  Deployment: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet' }],
  ReplicaSet: [{ apiVersion: 'v1', kind: 'Pod' }],
  StatefulSet: [{ apiVersion: 'v1', kind: 'Pod' }],
  DaemonSet: [{ apiVersion: 'v1', kind: 'Pod' }],
  Job: [{ apiVersion: 'v1', kind: 'Pod' }],
  CronJob: [{ apiVersion: 'batch/v1', kind: 'Job' }],
};

/** The inventory's objects as they are now, each with its health and its controllers' children. */
export async function healthTree(cluster: ClusterClient, sync: KubeObject): Promise<HealthNode[]> {
  const status = isPlainObject(sync.status) ? sync.status : {};
  const inventory =
    isPlainObject(status.inventory) && Array.isArray(status.inventory.entries) ? status.inventory.entries : [];
  const listed = new Map<string, Promise<KubeObject[]>>();
  const childrenOf = async (object: KubeObject): Promise<KubeObject[]> => {
    const kinds = childKinds[object.kind] ?? [];
    const namespace = object.metadata.namespace;
    const all = await Promise.all(
      kinds.map((k) => {
        const key = `${namespace}/${k.kind}`;
        if (!listed.has(key))
          listed.set(
            key,
            cluster.list(k.apiVersion, k.kind, { namespace }).catch(() => []),
          );
        return listed.get(key)!;
      }),
    );
    return all.flat().filter((c) => ownerUids(c).includes(String(object.metadata.uid ?? '')));
  };
  const node = async (object: KubeObject, depth: number): Promise<HealthNode> => {
    const health = object.kind === 'Pod' ? podHealth(object) : healthOf(object);
    const kids = depth < 3 ? await childrenOf(object) : [];
    return {
      object: describeObject({
        group: '',
        kind: object.kind,
        namespace: object.metadata.namespace ?? '',
        name: object.metadata.name,
      }),
      status: health.status === 'current' ? 'Current' : health.status === 'failed' ? 'Failed' : 'InProgress',
      message: health.message === 'ready' ? '' : health.message,
      children: await Promise.all(kids.slice(0, 20).map((k) => node(k, depth + 1))),
    };
  };
  const objects = await Promise.all(
    inventory.filter(isPlainObject).map(async (entry) => {
      const id = parseObjectKey(String(entry.id));
      const apiVersion = id.group ? `${id.group}/${entry.v}` : String(entry.v);
      const live = await cluster
        .get({ apiVersion, kind: id.kind, namespace: id.namespace || undefined, name: id.name })
        .catch(() => undefined);
      if (!live) return { object: describeObject(id), status: 'Missing', message: 'not in the cluster', children: [] };
      return node({ ...live, apiVersion, kind: id.kind }, 0);
    }),
  );
  return objects;
}

function ownerUids(object: KubeObject): string[] {
  const owners = object.metadata.ownerReferences;
  return Array.isArray(owners) ? owners.map((o) => String((o as { uid?: string }).uid ?? '')) : [];
}

/** A Pod: Running with all containers ready, Pending, or why a container waits (CrashLoopBackOff, ImagePullBackOff). */
function podHealth(pod: KubeObject): { status: 'current' | 'in-progress' | 'failed'; message: string } {
  const status = isPlainObject(pod.status) ? pod.status : {};
  const phase = String(status.phase ?? 'Pending');
  const containers = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isPlainObject) : [];
  const waiting = containers
    .map((c) => (isPlainObject(c.state) && isPlainObject(c.state.waiting) ? String(c.state.waiting.reason ?? '') : ''))
    .find((r) => r !== '');
  if (phase === 'Failed') return { status: 'failed', message: String(status.reason ?? 'Failed') };
  if (waiting && /BackOff|Err/.test(waiting)) return { status: 'failed', message: waiting };
  const ready = containers.filter((c) => c.ready === true).length;
  if (phase === 'Running' && ready === containers.length)
    return { status: 'current', message: `Running ${ready}/${containers.length}` };
  if (phase === 'Succeeded') return { status: 'current', message: 'Succeeded' };
  return { status: 'in-progress', message: waiting ?? `${phase} ${ready}/${containers.length}` };
}
