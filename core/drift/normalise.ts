import { isPlainObject } from '../sync/kube-object';

/**
 * What of an object takes part in a drift comparison. The API server owns `status` and bookkeeping metadata
 * (`managedFields`, `resourceVersion`, `generation`, `uid`, `creationTimestamp`), and `kubectl apply` leaves its
 * last-applied annotation behind; none of them is something Git says, so none of them can drift. Objects are taken as
 * JSON documents (a `KubeObject`, or any part of one a test builds), since only their labels, annotations and body count.
 */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** The parts of an object that are compared: labels, annotations, and the body without metadata and status. */
export interface ComparableObject {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  body: Record<string, unknown>;
}

/** Keeps what Git can say about an object and drops what the API server owns. */
export function comparable(object: Record<string, unknown>): ComparableObject {
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...body } = withSecretStringData(object);
  const meta = isPlainObject(metadata) ? metadata : {};
  const annotations = { ...((meta.annotations as Record<string, string> | undefined) ?? {}) };
  delete annotations[lastAppliedAnnotation];
  return {
    metadata: { labels: { ...((meta.labels as Record<string, string> | undefined) ?? {}) }, annotations },
    body,
  };
}

/**
 * A Secret's `stringData` as the API server stores it: merged into `data`, base64-encoded, with `stringData` gone.
 * The server does exactly this on every write, so comparing the stored form is comparing what would be stored.
 */
export function withSecretStringData<T extends Record<string, unknown>>(object: T): T {
  if (object.kind !== 'Secret' || object.stringData === undefined || object.stringData === null) return object;
  const { stringData, ...rest } = object;
  const data: Record<string, unknown> = { ...((rest.data as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(stringData as Record<string, unknown>)) {
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  return { ...rest, data } as unknown as T;
}
