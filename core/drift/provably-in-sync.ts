import { deepEqual, isRecord } from './deep-equal';
import { everyOwnedFieldIn } from './managed-fields';
import { comparable, type KubernetesObject } from './normalise';

/** The field manager Tidemark applies with (DESIGN.md, in-cluster API). */
export const tidemarkFieldManager = 'tidemark';

/** Metadata keys a manifest may set that the local check understands; anything else goes to the dry-run. */
const understoodMetadata = new Set(['name', 'namespace', 'labels', 'annotations']);

/**
 * The cheap filter in front of the server-side apply dry-run. True only when applying `desired` with field manager
 * `tidemark` provably leaves `live` unchanged: every value Git sets is already there, byte for byte, and tidemark owns
 * nothing that Git no longer sets (server-side apply would remove such a field). False means "ask the API server", not
 * "drifted": a value written differently (`1000m` for `1`), a reordered list or an unknown metadata key all fall
 * through to the oracle, so the filter can only save dry-runs, never change a verdict.
 */
export function provablyInSync(desired: KubernetesObject, live: KubernetesObject): boolean {
  if (desired.apiVersion !== live.apiVersion || desired.kind !== live.kind) return false;
  if (Object.keys(desired.metadata ?? {}).some((k) => !understoodMetadata.has(k))) return false;
  const want = comparable(desired);
  const have = comparable(live);
  if (!sameEntries(want.metadata.labels, have.metadata.labels)) return false;
  if (!sameEntries(want.metadata.annotations, have.metadata.annotations)) return false;
  if (!isSubset(want.body, have.body)) return false;
  // What tidemark's last apply owns must still be in Git, or this apply would delete it.
  const owned = (live.metadata?.managedFields ?? []).filter(
    (e) => e.manager === tidemarkFieldManager && e.operation === 'Apply' && !e.subresource,
  );
  const desiredTree = { ...want.body, metadata: { ...(desired.metadata ?? {}), ...want.metadata } };
  return owned.every((entry) => everyOwnedFieldIn(entry.fieldsV1 ?? {}, desiredTree));
}

/** Every label (or annotation) Git sets has that value live; others' extra entries survive an apply. */
function sameEntries(want: Record<string, string>, have: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** Every value in `want` is present and equal in `have`; lists must match element for element. */
function isSubset(want: unknown, have: unknown): boolean {
  if (isRecord(want)) {
    if (!isRecord(have)) return false;
    // An empty map in Git may be pruned or kept by the server depending on the field; let the oracle decide.
    if (Object.keys(want).length === 0) return Object.keys(have).length === 0;
    return Object.entries(want).every(([k, v]) => isSubset(v, have[k]));
  }
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((item, i) => isSubset(item, have[i]));
  }
  if (want === null || want === undefined) return false;
  return deepEqual(want, have);
}
