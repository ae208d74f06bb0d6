import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, refOf } from '../../core/sync/object-id';
import type { ClusterPort } from '../cluster-port';

/**
 * Waits until the CRDs of a set are Established and its Namespaces Active, so the next stage can apply custom
 * resources and namespaced objects. Returns one message per object that did not get there in time (empty when all did).
 */
export async function waitForDefinitions(
  cluster: Pick<ClusterPort, 'get'>,
  objects: readonly KubeObject[],
  timeoutMs: number,
): Promise<string[]> {
  const pending = objects.filter((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace');
  const deadline = Date.now() + timeoutMs;
  let waiting = pending;
  while (waiting.length > 0) {
    const states = await Promise.all(
      waiting.map(async (object) => ({ object, ready: await isReady(cluster, object) })),
    );
    waiting = states.filter((state) => !state.ready).map((state) => state.object);
    if (waiting.length === 0) break;
    if (Date.now() > deadline) {
      return waiting.map(
        (object) =>
          `${describeObject(refOf(object))} is not ${object.kind === 'Namespace' ? 'Active' : 'Established'} after ${timeoutMs / 1000} s. Check its status (kubectl describe) and the API server logs`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return [];
}

async function isReady(cluster: Pick<ClusterPort, 'get'>, object: KubeObject): Promise<boolean> {
  const live = await cluster.get(refOf(object));
  const status = (live?.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
  if (object.kind === 'Namespace') return status.phase === 'Active';
  return (status.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
}
