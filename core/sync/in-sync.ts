import { isDeepStrictEqual } from 'node:util';
import { type FieldsV1, isPlainObject, type KubeObject, type ManagedFieldsEntry } from './kube-object';
import { fieldManager } from './ownership';

/**
 * Whether applying `desired` with server-side apply would leave `live` exactly as it is, decided locally from the live
 * object alone. This is the cheap check in front of the oracle (DESIGN.md, "Drift"): it may answer "don't know" (false)
 * for an object that is in fact unchanged — then the caller asks the API server with a dry-run — but it must never say
 * true when an apply would change something. It is true only when both hold:
 *
 * - ownership: the manager's Apply entry in `managedFields` owns exactly the fields `desired` sets, at the same
 *   apiVersion. A field someone else took over, or a field we set last time and Git no longer has, breaks this.
 * - values: every value `desired` sets equals the live one (maps as subsets, atomic lists whole, associative lists
 *   element by element in the same order and length, sets as sets).
 *
 * Anything unusual (nulls, positional `i:` keys, defaulted spellings like `cpu: 0.5` for `500m`) answers false. This is
 * what makes a steady-state reconcile cost one LIST per kind instead of one request per object.
 */
export function isInSync(desired: KubeObject, live: KubeObject, manager: string = fieldManager): boolean {
  const entry = applyEntryOf(live, manager);
  if (entry?.fieldsV1 === undefined || entry.apiVersion !== desired.apiVersion) return false;
  return mapMatches(trackedFields(desired), live, entry.fieldsV1);
}

/** The single Apply entry of a manager on the main resource, if there is exactly one. */
export function applyEntryOf(object: KubeObject, manager: string = fieldManager): ManagedFieldsEntry | undefined {
  const entries = (object.metadata.managedFields ?? []).filter(
    (entry) => entry.manager === manager && entry.operation === 'Apply' && !entry.subresource,
  );
  return entries.length === 1 ? entries[0] : undefined;
}

/**
 * Whether a server-side apply dry-run result differs from the live object in anything but bookkeeping: values, or the
 * fields our manager owns (so an apply that only takes ownership back still happens once, after which `isInSync`
 * answers locally). Bookkeeping is resourceVersion, generation, the managers' timestamps and status. With
 * `ownership: false`, values only: what a person would call drift (a field set back by hand to Git's value is not).
 */
export function dryRunChanges(
  live: KubeObject,
  dryRun: KubeObject,
  manager: string = fieldManager,
  options: { ownership?: boolean } = {},
): boolean {
  if (!isDeepStrictEqual(comparable(live), comparable(dryRun))) return true;
  if (options.ownership === false) return false;
  const before = applyEntryOf(live, manager);
  const after = applyEntryOf(dryRun, manager);
  return before?.apiVersion !== after?.apiVersion || !isDeepStrictEqual(before?.fieldsV1, after?.fieldsV1);
}

function comparable(object: KubeObject): unknown {
  const { managedFields, resourceVersion, generation, ...metadata } = object.metadata;
  const { status, ...rest } = object;
  return { ...rest, metadata };
}

/** The part of a manifest that managedFields tracks: not apiVersion, kind, metadata.name or metadata.namespace. */
function trackedFields(desired: KubeObject): Record<string, unknown> {
  const { apiVersion, kind, metadata, ...rest } = desired;
  const { name, namespace, ...meta } = metadata;
  return Object.keys(meta).length > 0 ? { ...rest, metadata: meta } : rest;
}

function mapMatches(desired: Record<string, unknown>, live: unknown, fields: FieldsV1): boolean {
  if (!isPlainObject(live)) return false;
  const owned = Object.keys(fields).filter((key) => key !== '.');
  if (owned.length !== Object.keys(desired).length) return false;
  for (const key of owned) {
    if (!key.startsWith('f:')) return false;
    const field = key.slice(2);
    if (!(field in desired)) return false;
    if (!valueMatches(desired[field], live[field], fields[key] ?? {})) return false;
  }
  return true;
}

function valueMatches(desired: unknown, live: unknown, fields: FieldsV1): boolean {
  if (desired === null || desired === undefined) return false;
  const children = Object.keys(fields).filter((key) => key !== '.');
  if (isPlainObject(desired)) {
    // A map owned as a whole (`+mapType=atomic`, e.g. a Service selector) has no children in the trie: apply replaces it.
    if (children.length === 0 && Object.keys(desired).length > 0) return isDeepStrictEqual(desired, live);
    return mapMatches(desired, live, fields);
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return false;
    if (children.length === 0) return isDeepStrictEqual(desired, live);
    if (children.every((key) => key.startsWith('v:'))) return setMatches(desired, live, children);
    if (children.every((key) => key.startsWith('k:'))) return associativeListMatches(desired, live, fields, children);
    return false;
  }
  return children.length === 0 && desired === live;
}

function setMatches(desired: unknown[], live: unknown[], children: string[]): boolean {
  const owned = children.map((key) => JSON.stringify(JSON.parse(key.slice(2))));
  const wanted = desired.map((value) => JSON.stringify(value));
  const present = new Set(live.map((value) => JSON.stringify(value)));
  return (
    owned.length === wanted.length &&
    new Set(owned).size === owned.length &&
    wanted.every((value) => owned.includes(value) && present.has(value))
  );
}

/**
 * Lists merged by key (containers by name, ports by port+protocol). Elements are paired by position with the live
 * list, and each live element must be the one an ownership key names; the key is read from the live element because
 * the server fills defaulted key fields (a Service port's `protocol: TCP`) that the manifest leaves out.
 */
function associativeListMatches(desired: unknown[], live: unknown[], fields: FieldsV1, children: string[]): boolean {
  if (desired.length !== live.length || children.length !== desired.length) return false;
  const keys = children.map((key) => ({ key, values: JSON.parse(key.slice(2)) as Record<string, unknown> }));
  const used = new Set<string>();
  for (let index = 0; index < desired.length; index++) {
    const element = desired[index];
    const liveElement = live[index];
    if (!isPlainObject(element) || !isPlainObject(liveElement)) return false;
    const owner = keys.find(
      ({ key, values }) =>
        !used.has(key) && Object.entries(values).every(([name, value]) => isDeepStrictEqual(liveElement[name], value)),
    );
    if (owner === undefined) return false;
    used.add(owner.key);
    if (!mapMatches(element, liveElement, fields[owner.key] ?? {})) return false;
  }
  return true;
}
