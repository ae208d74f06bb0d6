import { isPlainObject, type KubeObject } from '../sync/kube-object';
import { describeObject, objectIdOf, objectKey } from '../sync/object-id';

/**
 * Fields a chart generates anew on every render (`randAlphaNum` passwords, `genCA` webhook certificates, and the
 * `checksum/*` annotations computed from them). Applied as rendered, they would rotate on every reconcile: a new
 * password locks out the running pods, a new CA breaks a webhook, and the drift scanner would see drift forever.
 *
 * Tidemark renders such a chart twice, names the fields that differ (`rotatingFields`), creates the object once with
 * the first render's values, and afterwards keeps what the cluster holds in those fields (`keepGeneratedFields`). The
 * annotation {@link generatedFieldsAnnotation} on the applied object lists them as JSON Pointers, so the drift scanner
 * leaves them alone too.
 */
export const generatedFieldsAnnotation = 'tidemark.dev/generated-fields';

/** Function calls in a chart that produce a different value on each render. */
const randomFunctions =
  /\b(randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|randInt|uuidv4|genCA|genCAWithKey|genPrivateKey|genSelfSignedCert|genSelfSignedCertWithKey|genSignedCert|genSignedCertWithKey)\b/;

/**
 * True when any template of the chart (or of a vendored subchart) calls a random function, so it needs the second
 * render. Charts without one (most) are rendered once.
 */
export function usesRandomness(files: readonly { path: string; text: string }[]): boolean {
  return files.some((f) => /(^|\/)templates\//.test(f.path) && randomFunctions.test(f.text));
}

/**
 * The JSON Pointers of the leaves that differ between two renders of the same inputs, per object key.
 *
 * @throws Error naming the object when it is in one render but not the other: a name that changes on every render
 *   cannot be tracked (the previous object would be pruned and a new one created on every reconcile).
 */
export function rotatingFields(first: readonly KubeObject[], second: readonly KubeObject[]): Map<string, string[]> {
  const again = new Map(second.map((o) => [objectKey(objectIdOf(o)), o]));
  const rotating = new Map<string, string[]>();
  for (const object of first) {
    const key = objectKey(objectIdOf(object));
    const twin = again.get(key);
    if (twin === undefined) {
      throw new Error(
        `${describeObject(objectIdOf(object))} gets a different name on every render (a random suffix), so it cannot be tracked across reconciles. Give it a fixed name in the chart's values`,
      );
    }
    const paths: string[] = [];
    differingLeaves(object, twin, '', paths);
    if (paths.length > 0) rotating.set(key, paths);
  }
  return rotating;
}

function differingLeaves(a: unknown, b: unknown, at: string, out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      differingLeaves(a[key], b[key], `${at}/${escapePointer(key)}`, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => {
      differingLeaves(item, b[i], `${at}/${i}`, out);
    });
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(at);
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * The object to apply: `desired` with each generated field taken from `live` when the cluster holds a value there
 * (created once, then left alone), and the annotation listing the fields. Without a live object the rendered values
 * are applied: that is the one creation.
 *
 * @example
 * keepGeneratedFields(secret, liveSecret, ['/data/redis-password']); // the live password, annotated as generated
 */
export function keepGeneratedFields(
  desired: KubeObject,
  live: KubeObject | undefined,
  paths: readonly string[],
): KubeObject {
  if (paths.length === 0) return desired;
  const copy = structuredClone(desired);
  copy.metadata.annotations = { ...copy.metadata.annotations, [generatedFieldsAnnotation]: JSON.stringify(paths) };
  if (live === undefined) return copy;
  for (const path of paths) {
    const value = valueAt(live, path);
    if (value !== undefined) setAt(copy, path, value);
  }
  return copy;
}

/** The generated fields an applied object declares, for the drift scanner's ignore list. */
export function generatedFieldsOf(object: KubeObject): string[] {
  const text = object.metadata.annotations?.[generatedFieldsAnnotation];
  if (text === undefined) return [];
  try {
    const paths: unknown = JSON.parse(text);
    return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string' && p.startsWith('/')) : [];
  } catch {
    return [];
  }
}

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const segment of path.split('/').slice(1).map(unescapePointer)) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isPlainObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

function setAt(root: unknown, path: string, value: unknown): void {
  const segments = path.split('/').slice(1).map(unescapePointer);
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(segment)] : isPlainObject(node) ? node[segment] : undefined;
    if (node === undefined) return;
  }
  const last = segments.at(-1);
  if (last === undefined) return;
  if (Array.isArray(node)) node[Number(last)] = value;
  else if (isPlainObject(node)) node[last] = value;
}
