import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { isRecord } from '../drift/deep-equal';
import { type Declaration, describeSource, resourceApiVersion, resourceKey, type SourceLocation } from './declaration';
import type { Reconciler } from './reconciler';

/** A file of the folder: its path in the config repo (for messages) and its text. */
export interface DeclarationFile {
  path: string;
  text: string;
}

/** One thing wrong with a declaration, where it is written: `resources/dns/api.yaml:9: spec.ttl: …`. */
export interface DeclarationProblem {
  source: SourceLocation;
  /** The key at fault, `spec.ttl`; `(document)` for the document as a whole. */
  key: string;
  message: string;
}

export function describeProblem(p: DeclarationProblem): string {
  return `${describeSource(p.source)}: ${p.key}: ${p.message}`;
}

export type ParsedDeclarations =
  | { kind: 'parsed'; declarations: Declaration[] }
  | { kind: 'invalid'; problems: DeclarationProblem[] };

/** Problems reported per run: enough to fix a broken commit, not a wall of text in a Slack message. */
const maxProblems = 20;
const namePattern = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Reads the declarations of one folder: every YAML document must be a `<Kind>.tidemark.dev/v1alpha1` object of a kind
 * the folder's reconciler handles, with a `metadata.name` and a `spec` its schema accepts, and no two may name the
 * same object. All problems are collected (up to 20), each with its file, line and key, because a folder with any
 * problem is applied not at all: a half-applied folder, or a prune that sees a typo as a deletion, is worse than none.
 *
 * @example
 * const parsed = parseDeclarations([{ path: 'dns/api.yaml', text }], reconcilersByKind(route53), 'resources dns');
 */
export function parseDeclarations(
  files: readonly DeclarationFile[],
  reconcilers: ReadonlyMap<string, Reconciler>,
  folder: string,
): ParsedDeclarations {
  const problems: DeclarationProblem[] = [];
  const declarations: Declaration[] = [];
  const names = new Map<string, SourceLocation>();
  const identities = new Map<string, SourceLocation>();
  const report = (source: SourceLocation, key: string, message: string) => {
    if (problems.length < maxProblems) problems.push({ source, key, message });
  };
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const lines = new LineCounter();
    const documents = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: false });
    if (!Array.isArray(documents)) continue; // a file with comments only
    for (const document of documents) {
      const at = (offset: number | undefined): SourceLocation => ({
        file: file.path,
        line: lines.linePos(offset ?? document.contents?.range[0] ?? 0).line,
      });
      const syntax = document.errors[0];
      if (syntax) {
        report(at(syntax.pos[0]), '(document)', `is not valid YAML: ${syntax.message.split('\n')[0]}. Fix the syntax`);
        continue;
      }
      const value: unknown = document.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) continue;
      const where = (path: readonly (string | number)[]) => at(offsetOf(document.contents, path));
      const found = declarationOf(value, where, reconcilers, folder, report);
      if (!found) continue;
      const { declaration, reconciler } = found;
      const nameKey = `${declaration.kind}/${declaration.name}`;
      const sameName = names.get(nameKey);
      if (sameName) {
        report(
          declaration.source,
          'metadata.name',
          `${nameKey} is already declared at ${describeSource(sameName)}. Give each declaration its own name`,
        );
        continue;
      }
      names.set(nameKey, declaration.source);
      let identity: string;
      try {
        identity = reconciler.identify(declaration.spec);
      } catch (error) {
        report(declaration.source, 'spec', `cannot be identified: ${(error as Error).message}`);
        continue;
      }
      const key = resourceKey(declaration.kind, identity);
      const sameObject = identities.get(key);
      if (sameObject) {
        report(
          declaration.source,
          'spec',
          `declares ${key}, which ${describeSource(sameObject)} declares already. Keep one declaration per object`,
        );
        continue;
      }
      identities.set(key, declaration.source);
      declarations.push({ ...declaration, identity });
    }
  }
  return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'parsed', declarations };
}

function declarationOf(
  value: unknown,
  where: (path: readonly (string | number)[]) => SourceLocation,
  reconcilers: ReadonlyMap<string, Reconciler>,
  folder: string,
  report: (source: SourceLocation, key: string, message: string) => void,
): { declaration: Omit<Declaration, 'identity'>; reconciler: Reconciler } | undefined {
  const kinds = [...reconcilers.keys()].join(', ');
  if (!isRecord(value)) {
    report(where([]), '(document)', `is not a mapping. Each document is one declaration (kinds here: ${kinds})`);
    return undefined;
  }
  if (value.apiVersion !== resourceApiVersion) {
    report(
      where(['apiVersion']),
      'apiVersion',
      `is ${shown(value.apiVersion)}, but ${folder} holds only ${resourceApiVersion} declarations. Set apiVersion: ${resourceApiVersion}, or move Kubernetes manifests to a cluster folder`,
    );
    return undefined;
  }
  const kind = typeof value.kind === 'string' ? value.kind : '';
  const reconciler = reconcilers.get(kind);
  if (!reconciler) {
    report(
      where(['kind']),
      'kind',
      `is ${shown(value.kind)}, which ${folder} does not reconcile. Use one of: ${kinds}`,
    );
    return undefined;
  }
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const name = metadata.name;
  if (typeof name !== 'string' || !namePattern.test(name)) {
    report(
      where(['metadata', 'name']),
      'metadata.name',
      `is ${shown(name)}. Name the declaration with lower-case letters, digits, '-' and '.', such as 'api-a'`,
    );
    return undefined;
  }
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  if (Object.values(annotations).some((v) => typeof v !== 'string')) {
    report(where(['metadata', 'annotations']), 'metadata.annotations', 'has a value that is not a string. Quote it');
    return undefined;
  }
  const source = where([]);
  const rawSpec = value.spec ?? {};
  const parsed = reconciler.schema.safeParse(rawSpec);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          report(
            where(['spec', ...path, key]),
            keyOf(['spec', ...path, key]),
            `is not a field of ${kind}. Check the spelling`,
          );
        }
      } else {
        report(where(['spec', ...path]), keyOf(['spec', ...path]), issue.message);
      }
    }
    return undefined;
  }
  // A schema that strips unknown keys would silently drop a typo ("tll: 300"); an unknown top-level field is an error.
  if (isRecord(rawSpec) && isRecord(parsed.data)) {
    const known = parsed.data as Record<string, unknown>;
    const unknown = Object.keys(rawSpec).filter((k) => !(k in known));
    for (const key of unknown) {
      report(where(['spec', key]), `spec.${key}`, `is not a field of ${kind}. Check the spelling`);
    }
    if (unknown.length > 0) return undefined;
  }
  return {
    declaration: {
      kind,
      name,
      annotations: annotations as Record<string, string>,
      spec: parsed.data,
      source,
    },
    reconciler,
  };
}

/** The offset of the deepest key of `path` that exists in the document: the line a user should look at. */
function offsetOf(node: unknown, path: readonly (string | number)[]): number | undefined {
  let current = node as Node | null | undefined;
  let offset = current?.range?.[0];
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      current = pair.value as Node | null;
    } else if (isSeq(current) && typeof segment === 'number') {
      current = current.items[segment] as Node | undefined;
      offset = current?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function keyOf(path: readonly (string | number)[]): string {
  return path.reduce<string>((key, p) => (typeof p === 'number' ? `${key}[${p}]` : key ? `${key}.${p}` : p), '');
}

function shown(value: unknown): string {
  return value === undefined ? 'missing' : `'${String(value)}'`;
}
