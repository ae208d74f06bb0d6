import { deepEqual, isRecord } from '../drift/deep-equal';
import type { FieldChange } from './reconciler';

export interface DiffFieldsOptions {
  /** Paths of lists whose order means nothing (a record set's values, a role's privileges): compared as sets. */
  unordered?: readonly string[];
  /** Paths whose values are secret: a difference is reported, the values never are. */
  sensitive?: readonly string[];
}

/**
 * The fields in which `actual` differs from `desired`, for a reconciler's `plan`: nested records are compared field by
 * field (`alias.dnsName`), lists and scalars as whole values. With `actual` undefined (the object does not exist) every
 * field of `desired` is a change from absent. A field that is `undefined` in `desired` is meant to be absent, so a
 * reconciler fills in the provider's defaults on both sides first.
 *
 * @example
 * diffFields({ ttl: 300, values: ['192.0.2.1'] }, { ttl: 60, values: ['192.0.2.1'] }) // [{ path: 'ttl', from: 60, to: 300 }]
 */
export function diffFields(
  desired: Record<string, unknown>,
  actual: Record<string, unknown> | undefined,
  options: DiffFieldsOptions = {},
): FieldChange[] {
  const out: FieldChange[] = [];
  diffRecord(desired, actual ?? {}, '', options, out);
  return out;
}

function diffRecord(
  desired: Record<string, unknown>,
  actual: Record<string, unknown>,
  prefix: string,
  options: DiffFieldsOptions,
  out: FieldChange[],
): void {
  const keys = [...new Set([...Object.keys(desired), ...Object.keys(actual)])].sort();
  for (const key of keys) {
    const path = prefix ? `${prefix}.${key}` : key;
    const to = desired[key];
    const from = actual[key];
    if (isRecord(to) && isRecord(from)) {
      diffRecord(to, from, path, options, out);
      continue;
    }
    if (same(to, from, options.unordered?.includes(path) ?? false)) continue;
    const sensitive = options.sensitive?.includes(path) ?? false;
    out.push({ path, from, to, ...(sensitive ? { sensitive } : {}) });
  }
}

function same(a: unknown, b: unknown, unordered: boolean): boolean {
  if (unordered && Array.isArray(a) && Array.isArray(b)) {
    const key = (list: unknown[]) => list.map((item) => JSON.stringify(item)).sort();
    return deepEqual(key(a), key(b));
  }
  return deepEqual(a, b);
}
