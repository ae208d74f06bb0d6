import { deepEqual, isRecord } from './deep-equal';
import type { FieldPath, ListElement } from './field-path';
import { elementKeyOf } from './field-path';
import { type ComparableObject, comparable } from './normalise';

/** One field whose live value differs from what applying Git would leave. `undefined` means the field is absent. */
export interface FieldDifference {
  path: FieldPath;
  desired: unknown;
  live: unknown;
}

/**
 * The fields in which `live` differs from `desired`, where `desired` is the object as it would be after applying Git
 * (the server-side apply dry-run result). Labels and annotations come first, then the body, so a reader sees a
 * relabelled object before its spec. Lists whose elements carry a key (`name`, `containerPort`, …) are matched by that
 * key, so a reordered or inserted container reports one element, not every element after it.
 *
 * @example
 * diffObjects(
 *   { kind: 'Deployment', spec: { replicas: 3 } },
 *   { kind: 'Deployment', spec: { replicas: 5 } },
 * ) // [{ path: ['spec', 'replicas'], desired: 3, live: 5 }]
 */
export function diffObjects(desired: Record<string, unknown>, live: Record<string, unknown>): FieldDifference[] {
  return diffComparable(comparable(desired), comparable(live));
}

export function diffComparable(desired: ComparableObject, live: ComparableObject): FieldDifference[] {
  const out: FieldDifference[] = [];
  diffValue(desired.metadata.labels, live.metadata.labels, ['metadata', 'labels'], out);
  diffValue(desired.metadata.annotations, live.metadata.annotations, ['metadata', 'annotations'], out);
  diffValue(desired.body, live.body, [], out);
  return out;
}

function diffValue(desired: unknown, live: unknown, path: FieldPath, out: FieldDifference[]): void {
  if (deepEqual(desired, live)) return;
  if (isRecord(desired) && isRecord(live)) {
    const keys = new Set([...Object.keys(desired), ...Object.keys(live)]);
    for (const key of [...keys].sort()) diffValue(desired[key], live[key], [...path, key], out);
    return;
  }
  if (Array.isArray(desired) && Array.isArray(live)) {
    diffList(desired, live, path, out);
    return;
  }
  out.push({ path, desired, live });
}

function diffList(desired: unknown[], live: unknown[], path: FieldPath, out: FieldDifference[]): void {
  const key = commonElementKey(desired, live);
  if (key === undefined) {
    if (desired.length !== live.length) {
      out.push({ path, desired, live });
      return;
    }
    desired.forEach((item, index) => {
      diffValue(item, live[index], [...path, element(index, live[index] ?? item)], out);
    });
    return;
  }
  const keyOf = (item: unknown) => JSON.stringify((item as Record<string, unknown>)[key]);
  const liveByKey = new Map(live.map((item, index) => [keyOf(item), { item, index }]));
  const seen = new Set<string>();
  desired.forEach((item, index) => {
    const k = keyOf(item);
    seen.add(k);
    const match = liveByKey.get(k);
    diffValue(item, match?.item, [...path, element(match?.index ?? index, match?.item ?? item)], out);
  });
  live.forEach((item, index) => {
    if (!seen.has(keyOf(item))) diffValue(undefined, item, [...path, element(index, item)], out);
  });
}

/** The key shared by every element of both lists, if it names each element uniquely on both sides. */
function commonElementKey(desired: unknown[], live: unknown[]): string | undefined {
  const all = [...desired, ...live];
  const key = all.length > 0 ? elementKeyOf(all[0]) : undefined;
  if (key === undefined || key === 'type') return undefined;
  for (const list of [desired, live]) {
    const values = list.map((item) => (isRecord(item) ? JSON.stringify(item[key]) : undefined));
    if (values.some((v) => v === undefined) || new Set(values).size !== values.length) return undefined;
  }
  return key;
}

function element(index: number, item: unknown): ListElement {
  return { index, element: item };
}
