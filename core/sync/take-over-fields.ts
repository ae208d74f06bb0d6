import { applyEntryOf } from './in-sync';
import { type FieldsV1, isPlainObject, type KubeObject, type ManagedFieldsEntry } from './kube-object';
import { fieldManager } from './ownership';

/**
 * The managers whose fields Tidemark takes over the first time it applies an object that was created by hand:
 * `kubectl apply` (client-side, and server-side under the name `kubectl`) and `before-first-apply` (what the API
 * server calls fields that predate managedFields). Without this, a field deleted from Git would stay on the object
 * forever, because server-side apply only removes fields its own manager owned. Same list as Flux's
 * kustomize-controller. `kubectl edit` is deliberately absent: an edit of a field we own is healed by the forced
 * apply, and an edit of a field we do not own is someone else's business.
 */
export const takenOverManagers: readonly { manager: string; operation: 'Apply' | 'Update' }[] = [
  { manager: 'kubectl', operation: 'Apply' },
  { manager: 'kubectl', operation: 'Update' },
  { manager: 'kubectl-client-side-apply', operation: 'Update' },
  { manager: 'before-first-apply', operation: 'Update' },
];

const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

export type JsonPatchOperation =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/**
 * A JSON patch that hands the fields of kubectl's managers to ours (merged into our Apply entry, if we have one), or
 * undefined when there is nothing to take over. Callers use it on the first apply of an object, before or right
 * after it, then apply again so that fields Git does not set are removed. The patch is guarded by the resourceVersion, so a
 * concurrent writer makes it fail instead of being overwritten; the caller then simply applies without taking over.
 *
 * @example
 * const patch = takeOverPatch(live);
 * if (patch) await cluster.jsonPatch(live, patch);
 */
export function takeOverPatch(live: KubeObject, manager: string = fieldManager): JsonPatchOperation[] | undefined {
  const entries = live.metadata.managedFields ?? [];
  const ours = applyEntryOf(live, manager);
  const isTaken = (entry: ManagedFieldsEntry) =>
    !entry.subresource &&
    takenOverManagers.some((taken) => taken.manager === entry.manager && taken.operation === entry.operation);
  const taken = entries.filter(isTaken);
  const version = ours?.apiVersion ?? taken[0]?.apiVersion;
  // Field sets are per apiVersion; entries written at another version cannot be merged without the schema.
  const merging = taken.filter((entry) => entry.apiVersion === version);
  if (merging.length === 0) return undefined;
  const merged: ManagedFieldsEntry = {
    manager,
    operation: 'Apply',
    apiVersion: version,
    time: ours?.time ?? merging[0]?.time,
    fieldsType: 'FieldsV1',
    fieldsV1: [ours, ...merging].reduce<FieldsV1>((union, entry) => mergeFields(union, entry?.fieldsV1 ?? {}), {}),
  };
  const kept = entries.filter((entry) => entry !== ours && !merging.includes(entry));
  const patch: JsonPatchOperation[] = [
    { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
    { op: 'replace', path: '/metadata/managedFields', value: [...kept, merged] },
  ];
  if (live.metadata.annotations?.[lastAppliedAnnotation] !== undefined) {
    patch.push({ op: 'remove', path: `/metadata/annotations/${lastAppliedAnnotation.replace('/', '~1')}` });
  }
  return patch;
}

/** The union of two fieldsV1 tries. */
export function mergeFields(a: FieldsV1, b: FieldsV1): FieldsV1 {
  const out: FieldsV1 = { ...a };
  for (const [key, child] of Object.entries(b)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) ? mergeFields(existing, child) : child;
  }
  return out;
}
