import type { ManagedFieldsEntry } from '../sync/kube-object';
import { deepEqual, isRecord } from './deep-equal';
import type { FieldPath } from './field-path';

/**
 * Who last wrote a field, read from the live object's `metadata.managedFields`. The API server records, per field
 * manager, the set of fields it owns as a `fieldsV1` trie (`f:spec` → `f:replicas`, list elements as
 * `k:{"name":"web"}`, `v:"value"` or `i:0`, and `.` for the element itself) and the time of its last write.
 */
export interface FieldWriter {
  manager: string;
  operation: string;
  /** ISO timestamp of the manager's last write, second precision, as the API server records it. */
  time?: string;
  /** `scale` when the write went through the scale subresource (`kubectl scale`, the HPA). */
  subresource?: string;
}

/**
 * The manager that last wrote `path` in `live`: of the managers that own the field (or something inside it), the one
 * whose write is the most recent. Several managers share a field when they applied the same value; the latest one is
 * the one whose write set the current value. `undefined` when nobody owns it (the field was removed, or it is a
 * server default).
 *
 * @example
 * lastWriter(live, ['spec', 'replicas']) // { manager: 'kubectl-scale', operation: 'Update', subresource: 'scale', … }
 */
export function lastWriter(
  live: { metadata?: { managedFields?: ManagedFieldsEntry[] } },
  path: FieldPath,
): FieldWriter | undefined {
  let best: ManagedFieldsEntry | undefined;
  for (const entry of live.metadata?.managedFields ?? []) {
    if (!entry.fieldsV1 || !ownsPath(entry.fieldsV1, path)) continue;
    if (!best || (entry.time ?? '') > (best.time ?? '')) best = entry;
  }
  if (!best) return undefined;
  return {
    manager: best.manager ?? 'unknown',
    operation: best.operation ?? 'Update',
    ...(best.time ? { time: best.time } : {}),
    ...(best.subresource ? { subresource: best.subresource } : {}),
  };
}

/** True when the fieldsV1 trie owns `path` itself, something inside it, or an atomic field that contains it. */
export function ownsPath(fields: Record<string, unknown>, path: FieldPath): boolean {
  let node: Record<string, unknown> = fields;
  for (const segment of path) {
    // An empty node is a leaf: an atomic value (a whole list or map) owned as one, so everything inside belongs to it.
    if (Object.keys(node).length === 0) return true;
    const child =
      typeof segment === 'string' ? node[`f:${segment}`] : elementChild(node, segment.index, segment.element)?.[1];
    if (!isRecord(child)) return false;
    node = child;
  }
  return true;
}

/** The trie child naming a list element, by key (`k:`), by value (`v:`) or by position (`i:`). */
export function elementChild(
  node: Record<string, unknown>,
  index: number,
  element: unknown,
): [string, Record<string, unknown>] | undefined {
  for (const [name, child] of Object.entries(node)) {
    if (!isRecord(child)) continue;
    if (name.startsWith('k:') && isRecord(element)) {
      const keys = parseJson(name.slice(2));
      if (isRecord(keys) && Object.entries(keys).every(([k, v]) => sameKeyValue(element[k], v))) return [name, child];
    } else if (name.startsWith('v:')) {
      if (deepEqual(parseJson(name.slice(2)), element)) return [name, child];
    } else if (name === `i:${index}`) {
      return [name, child];
    }
  }
  return undefined;
}

/** Key values are compared as the API server writes them: `containerPort: 80` is `k:{"containerPort":80}`. */
function sameKeyValue(actual: unknown, key: unknown): boolean {
  // A key field left out of the element defaults on the server (`protocol: TCP`); treat absent as matching.
  return actual === undefined || deepEqual(actual, key);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
