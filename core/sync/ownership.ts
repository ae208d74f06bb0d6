import type { KubeObject } from './kube-object';

/** The server-side apply field manager of every Tidemark write. */
export const fieldManager = 'tidemark';

export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'tidemark';
export const syncLabel = 'tidemark.dev/sync';
/** On a Namespace, PVC, PV or CRD: lets prune delete it when it leaves Git. */
export const pruneAnnotation = 'tidemark.dev/prune';
/** On a Sync: asks the agent for a reconcile now (set by `tidemark reconcile NAME`). */
export const requestedAtAnnotation = 'tidemark.dev/requested-at';

/**
 * The agent's finalizer on every Sync it reconciles: deleting the Sync waits until the agent has deleted what the Sync
 * applied (`prune: true`) or said in an Event that it leaves them (`prune: false`).
 */
export const syncFinalizer = 'tidemark.dev/finalizer';

/** Which Sync applied an object. `namespace.name` fits a label value, as Kubernetes names contain no dots at the ends. */
export interface SyncRef {
  namespace: string;
  name: string;
}

export function syncLabelValue(sync: SyncRef): string {
  return `${sync.namespace}.${sync.name}`;
}

/** The label selector matching every object one Sync applied. */
export function selectorFor(sync: SyncRef): string {
  return `${managedByLabel}=${managedByValue},${syncLabel}=${syncLabelValue(sync)}`;
}

/** A copy of the object carrying the labels that mark it as ours; the input is not modified. */
export function withOwnership(object: KubeObject, sync: SyncRef): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, [managedByLabel]: managedByValue, [syncLabel]: syncLabelValue(sync) },
    },
  };
}

/** True when a live object still carries this Sync's labels: prune never deletes an object someone else adopted. */
export function isOwnedBy(object: Pick<KubeObject, 'metadata'>, sync: SyncRef): boolean {
  const labels = object.metadata.labels ?? {};
  return labels[managedByLabel] === managedByValue && labels[syncLabel] === syncLabelValue(sync);
}
