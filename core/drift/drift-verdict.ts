import { createHmac } from 'node:crypto';
import { isInSync } from '../sync/in-sync';
import type { KubeObject } from '../sync/kube-object';
import type { DriftedField } from './drift-report';
import { asStored } from './stored-form';

/**
 * The verdict remembered per object between scans. It stays valid while neither side moved: the desired manifest
 * (its digest) and the live object (its resourceVersion, which every write changes). Fields are stored masked.
 */
export interface CachedVerdict {
  desiredDigest: string;
  resourceVersion: string;
  fields: DriftedField[];
}

/** Verdicts by object key (`objectKey`). */
export type DriftCacheEntries = Map<string, CachedVerdict>;

/**
 * The drifted fields of `desired` against `live` when they are known without asking the API server, with how they were
 * known: the verdict cached for the same manifest digest and live resourceVersion, or the managedFields check
 * (`isInSync`, also on the stored forms of quantities and Secret `stringData`, see `asStored`), which proves an apply
 * would change nothing. `undefined` means: only the server-side apply dry-run can tell. Both answers can only agree
 * with the dry-run, never contradict it.
 */
export function knownVerdict(
  desired: KubeObject,
  /** `digestOf(desired, key)`, computed once by the caller, which also stores it with the new verdict. */
  desiredDigest: string,
  live: KubeObject,
  previous: CachedVerdict | undefined,
): { how: 'cached' | 'filtered'; fields: DriftedField[] } | undefined {
  if (previous?.desiredDigest === desiredDigest && previous.resourceVersion === (live.metadata.resourceVersion ?? '')) {
    return { how: 'cached', fields: previous.fields };
  }
  if (isInSync(desired, live) || provenByStoredForm(desired, live)) return { how: 'filtered', fields: [] };
  return undefined;
}

/** The managedFields check on the stored forms of both sides (quantities, Secret stringData): see {@link asStored}. */
function provenByStoredForm(object: KubeObject, live: KubeObject): boolean {
  const stored = asStored(object, live);
  return isInSync(stored.desired, stored.live);
}

/**
 * A digest of the manifest as it will be applied; key order does not matter, values do. It is an HMAC under the
 * deployment's own key (`digestKey`), never a plain hash: the digests are stored (the State table, a file), and a
 * plain hash of a Secret's manifest would let anyone who reads them confirm a guessed value offline (hash the manifest
 * with the guess, compare). Masking the Secret's data before hashing would close that too, but then a changed value
 * in Git would keep the cached verdict of the old one.
 */
export function digestOf(object: KubeObject, digestKey: string): string {
  return createHmac('sha256', digestKey).update(canonicalJson(object)).digest('base64url').slice(0, 22);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
