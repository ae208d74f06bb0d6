import { type Document, parseAllDocuments, type Tags, type YAMLError } from 'yaml';
import { isPlainObject, type KubeObject } from './kube-object';
import { describeObject, objectIdOf, objectKey } from './object-id';

/** One manifest file: its path (relative to the rendered folder, for messages) and its text. */
export interface ManifestFile {
  path: string;
  text: string;
}

/**
 * Why a render failed, naming the file and the 0-based document index so the author can find it. A render error stops
 * the reconcile before anything is applied or deleted.
 */
export class RenderError extends Error {
  constructor(
    readonly file: string,
    readonly documentIndex: number | undefined,
    problem: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    const where = documentIndex === undefined ? file : `${file} (document ${documentIndex})`;
    super(`${where}: ${problem}. ${fix}`, options);
    this.name = 'RenderError';
  }
}

/**
 * Parses multi-document YAML into Kubernetes objects and checks what the engine relies on: every document has
 * apiVersion, kind and metadata.name, and no object appears twice. Empty documents (only comments or `---`) are
 * skipped; a `kind: List` is expanded into its items, as kubectl does.
 *
 * YAML is read as kubectl and Helm read it (Go's yaml.v2, through sigs.k8s.io/yaml): `defaultMode: 0644` is octal
 * (420), `on`/`yes`/`y` are booleans, so a manifest means here what it means to `kubectl apply -f`. `options.yaml:
 * '1.2'` reads YAML 1.2's core schema instead (`0644` is 644, `yes` a string).
 *
 * @throws RenderError naming the file and document on the first problem found.
 * @example
 * const objects = parseManifests([{ path: 'app.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' }]);
 */
export function parseManifests(files: readonly ManifestFile[], options: { yaml?: '1.1' | '1.2' } = {}): KubeObject[] {
  const objects: KubeObject[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const version = options.yaml ?? '1.1';
    const documents = parseAllDocuments(file.text, {
      prettyErrors: true,
      version,
      ...(version === '1.1' ? { customTags: asGoYamlV2 } : {}),
    });
    if (!Array.isArray(documents)) {
      // parseAllDocuments returns an EmptyStream (not an array) for a file with no documents at all.
      continue;
    }
    documents.forEach((document, index) => {
      const error = document.errors[0];
      if (error) throw yamlSyntaxError(file.path, index, error);
      const value = documentValue(document, file.path, index);
      if (value === null || value === undefined) return;
      for (const object of expandList(value, file.path, index)) {
        const where = `${file.path} (document ${index})`;
        const key = objectKey(objectIdOf(object));
        const first = seen.get(key);
        if (first !== undefined) {
          throw new RenderError(
            file.path,
            index,
            `${describeObject(objectIdOf(object))} is already defined in ${first}`,
            'Keep one definition of each object',
          );
        }
        seen.set(key, where);
        objects.push(object);
      }
    });
  }
  return objects;
}

/**
 * The `yaml` library's YAML 1.1 tags, less the two that Go's yaml.v2 does not resolve into the JSON kubectl sends:
 * sexagesimal numbers (`10:30` stays a string, not 630) and timestamps (a date stays a string); and a float needs a
 * digit (`.` is a string). Why by hand: no library ships yaml.v2's exact resolver; these are the differences that
 * matter for manifests.
 */
function asGoYamlV2(tags: Tags): Tags {
  return tags
    .filter((tag) => typeof tag === 'string' || !(tag.format === 'TIME' || tag.tag === 'tag:yaml.org,2002:timestamp'))
    .map((tag) =>
      // Go's ParseFloat wants a digit: `.` alone (a CRD's `default: .`) stays a string, where the library reads NaN.
      typeof tag !== 'string' && tag.tag === 'tag:yaml.org,2002:float' && tag.test && !/inf/i.test(tag.test.source)
        ? { ...tag, test: new RegExp(`(?=[^0-9]*[0-9])(?:${tag.test.source})`) }
        : tag,
    );
}

/**
 * A YAML syntax error as file, line and column, never the source line: `yaml` quotes the line with a caret under the
 * error, and that line is often a Secret's value (an unclosed quote in a password). The message goes to Sync status,
 * Events (readable by the `view` role, which cannot read Secrets), logs and alerts. The parser's own error is not
 * kept as the cause for the same reason; its code is.
 */
function yamlSyntaxError(path: string, index: number, error: YAMLError): RenderError {
  const problem = error.message.split(/ at line \d+, column \d+/)[0]!.split('\n')[0]!;
  const at = error.linePos?.[0];
  const where = at ? ` at line ${at.line}, column ${at.col}` : '';
  return new RenderError(path, index, `is not valid YAML: ${problem}${where} (${error.code})`, 'Fix the YAML syntax');
}

/**
 * The document as plain data, with at most 100 aliases expanded: more is the "billion laughs" shape (each alias can
 * double the size), refused as a render error, so the Sync stalls and nothing is pruned.
 */
function documentValue(document: Document, file: string, index: number): unknown {
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new RenderError(
        file,
        index,
        'has more than 100 YAML aliases, which is how a document that expands to gigabytes is built',
        'Write the values out, or split the document',
        { cause: error },
      );
    }
    throw error;
  }
}

function expandList(value: unknown, file: string, index: number): KubeObject[] {
  if (isPlainObject(value) && value.kind === 'List' && Array.isArray(value.items)) {
    return value.items.map((item) => validObject(item, file, index));
  }
  return [validObject(value, file, index)];
}

function validObject(value: unknown, file: string, index: number): KubeObject {
  if (!isPlainObject(value)) {
    throw new RenderError(file, index, 'is not a mapping', 'Each document must be one Kubernetes object');
  }
  for (const field of ['apiVersion', 'kind'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') {
      throw new RenderError(file, index, `has no ${field}`, `Set ${field} on every object`);
    }
  }
  const metadata = value.metadata;
  if (!isPlainObject(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
    throw new RenderError(
      file,
      index,
      `${value.kind as string} has no metadata.name`,
      'Set metadata.name (generateName is not supported: a generated name cannot be tracked across reconciles)',
    );
  }
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    throw new RenderError(file, index, 'metadata.namespace is not a string', 'Quote the namespace');
  }
  return value as KubeObject;
}
