/**
 * A Kubernetes object as Git and the API server hold it: untyped beyond the fields every object has. The sync engine
 * never needs a kind's schema; the API server validates and defaults, and server-side apply merges.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  managedFields?: ManagedFieldsEntry[];
  deletionTimestamp?: string;
  finalizers?: string[];
  [field: string]: unknown;
}

/** One entry of `metadata.managedFields`: which manager owns which fields, in the fieldsV1 trie encoding. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: FieldsV1;
  subresource?: string;
}

/** The fieldsV1 trie: keys are `f:<field>`, `k:<json key>`, `v:<json value>`, `i:<index>` or `.` (the node itself). */
export type FieldsV1 = { [key: string]: FieldsV1 };

/** The group half of an apiVersion: `apps/v1` → `apps`, `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
