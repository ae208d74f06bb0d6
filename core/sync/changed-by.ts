import { type FieldsV1, isPlainObject, type KubeObject } from './kube-object';
import { fieldManager } from './ownership';

/**
 * Who changed fields of ours: the most recent other manager in `managedFields` that now owns a field Git sets. Used to
 * name the culprit in self-heal events and drift reports ("changed by kubectl-edit"). Paths are compared without list
 * keys (`spec.template.spec.containers[].image`), which is exact enough to tell an edit of our fields from a
 * controller writing its own annotations, and needs no schema. Undefined when no other manager owns such a field.
 */
export function changedBy(desired: KubeObject, live: KubeObject, manager: string = fieldManager): string | undefined {
  const wanted = new Set(desiredPaths(desired));
  const candidates = (live.metadata.managedFields ?? [])
    .filter((entry) => entry.manager !== manager && !entry.subresource && entry.fieldsV1)
    .filter((entry) => ownedPaths(entry.fieldsV1 ?? {}).some((path) => wanted.has(path)))
    .sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  return candidates.at(-1)?.manager;
}

function desiredPaths(object: KubeObject): string[] {
  const { apiVersion, kind, metadata, ...rest } = object;
  const { name, namespace, ...meta } = metadata;
  const paths: string[] = [];
  walkValue({ ...rest, metadata: meta }, '', paths);
  return paths;
}

function walkValue(value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    out.push(path);
    for (const element of value) walkValue(element, `${path}[]`, out);
  } else if (isPlainObject(value)) {
    out.push(path);
    for (const [key, child] of Object.entries(value)) walkValue(child, path ? `${path}.${key}` : key, out);
  } else {
    out.push(path);
  }
}

/** Leaf paths of a fieldsV1 trie in the same notation; list element keys become `[]`. */
function ownedPaths(fields: FieldsV1, path = '', out: string[] = []): string[] {
  const children = Object.entries(fields).filter(([key]) => key !== '.');
  if (children.length === 0) out.push(path);
  for (const [key, child] of children) {
    if (key.startsWith('f:')) ownedPaths(child, path ? `${path}.${key.slice(2)}` : key.slice(2), out);
    else ownedPaths(child, `${path}[]`, out);
  }
  return out;
}
