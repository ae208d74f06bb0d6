/**
 * Where a drifted field sits inside an object. Map keys are strings; a list element carries its position and the
 * element itself, because Kubernetes names list elements by their keys (`containers[name=web]`, managedFields'
 * `k:{"name":"web"}`) rather than by index, and both the display and manager attribution need those keys.
 */
export type PathSegment = string | ListElement;

export interface ListElement {
  /** Position of the element in the list it was found in (the live list when it exists there). */
  index: number;
  /** The element itself, so its keys (`name`, `containerPort`, …) can be matched against managedFields. */
  element: unknown;
}

export type FieldPath = readonly PathSegment[];

/** Keys that name list elements in the Kubernetes API, in the order we prefer them for display. */
const elementKeys = ['name', 'mountPath', 'devicePath', 'containerPort', 'port', 'key', 'ip', 'type'] as const;

/** The key field that names `element` among its siblings, if any (`name` for containers, `containerPort` for ports). */
export function elementKeyOf(element: unknown): string | undefined {
  if (element === null || typeof element !== 'object' || Array.isArray(element)) return undefined;
  const record = element as Record<string, unknown>;
  return elementKeys.find((k) => typeof record[k] === 'string' || typeof record[k] === 'number');
}

/**
 * A path as people read it: `spec.template.spec.containers[name=web].image`, `metadata.labels.app`.
 *
 * @example
 * displayPath(['spec', 'replicas']) // 'spec.replicas'
 */
export function displayPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'string') {
      const plain = /^[A-Za-z_$][\w$-]*$/.test(segment);
      out += plain ? (out ? `.${segment}` : segment) : `[${JSON.stringify(segment)}]`;
    } else {
      const key = elementKeyOf(segment.element);
      const value = key === undefined ? undefined : (segment.element as Record<string, unknown>)[key];
      out += key === undefined ? `[${segment.index}]` : `[${key}=${String(value)}]`;
    }
  }
  return out;
}

/**
 * The path as an RFC 6901 JSON Pointer (`/spec/template/spec/containers/0/image`), the form ignore rules are written in.
 *
 * @example
 * jsonPointer(['metadata', 'labels', 'app.kubernetes.io/name']) // '/metadata/labels/app.kubernetes.io~1name'
 */
export function jsonPointer(path: FieldPath): string {
  return path
    .map((s) => `/${typeof s === 'string' ? s.replaceAll('~', '~0').replaceAll('/', '~1') : String(s.index)}`)
    .join('');
}

/** The unescaped segments of a JSON Pointer; `''` is the whole object. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
