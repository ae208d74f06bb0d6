import type { ManagedFieldsEntry } from '../sync/kube-object';

export type { ManagedFieldsEntry };

/**
 * What of an object takes part in a drift comparison. The API server owns `status` and bookkeeping metadata
 * (`managedFields`, `resourceVersion`, `generation`, `uid`, `creationTimestamp`), and `kubectl apply` leaves its
 * last-applied annotation behind; none of them is something Git says, so none of them can drift.
 */
export type KubernetesObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    managedFields?: ManagedFieldsEntry[];
  };
};

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** The parts of an object that are compared: labels, annotations, and the body without metadata and status. */
export interface ComparableObject {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  body: Record<string, unknown>;
}

/** Keeps what Git can say about an object and drops what the API server owns. */
export function comparable(object: KubernetesObject): ComparableObject {
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...body } = withSecretStringData(object);
  const annotations = { ...(metadata?.annotations ?? {}) };
  delete annotations[lastAppliedAnnotation];
  return { metadata: { labels: { ...(metadata?.labels ?? {}) }, annotations }, body };
}

/**
 * A Secret's `stringData` as the API server stores it: merged into `data`, base64-encoded, with `stringData` gone.
 * The server does exactly this on every write, so comparing the stored form is comparing what would be stored.
 */
export function withSecretStringData(object: KubernetesObject): KubernetesObject {
  if (object.kind !== 'Secret' || object.stringData === undefined || object.stringData === null) return object;
  const { stringData, ...rest } = object;
  const data: Record<string, unknown> = { ...((rest.data as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(stringData as Record<string, unknown>)) {
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  return { ...rest, data };
}
