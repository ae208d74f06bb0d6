import { createHash } from 'node:crypto';
import { type Dirent, existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { parse } from 'yaml';
import type { RenderTarget } from '../../core/hydrate/render-targets';
import { isPlainObject } from '../../core/sync/kube-object';

const kustomizationNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** Folders a program's render never reads as input: installed dependencies and its own output. */
const notInputs = new Set(['node_modules', '.git', 'dist', 'cdk.out', '__pycache__', '.venv']);

/**
 * The paths (repo-relative, folders or files) a target's render reads, found without rendering: the source folder, and
 * for a kustomization every local path it names (resources, components, bases, patches, generator files,
 * replacements, transformers…), followed into the kustomizations they hold; for a chart in Git its folder and the
 * values files; plus the target's own `inputs`. `undefined` when a kustomization names something Tidemark cannot
 * follow (a remote base, a path leaving the checkout, a file it cannot parse): the target is then rendered on
 * every dry commit, which costs time but never misses a change.
 */
export async function targetInputs(root: string, target: RenderTarget): Promise<string[] | undefined> {
  const { source } = target;
  const paths = new Set<string>(target.inputs);
  switch (source.kind) {
    case 'kustomize': {
      const found = await kustomizationInputs(root, source.path);
      if (!found) return undefined;
      for (const p of found) paths.add(p);
      break;
    }
    case 'helm':
      if (source.source.chart.path !== undefined) paths.add(source.source.chart.path);
      for (const f of source.valuesFiles) paths.add(normalize(f));
      break;
    default:
      paths.add(source.path);
  }
  return [...paths].sort();
}

/** The fields of a kustomization whose values are paths (or lists of paths) relative to its folder. */
function namedPaths(k: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  // An empty key (`components:` with every entry commented out) is null: it names nothing.
  const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
  for (const key of [
    'resources',
    'bases',
    'components',
    'crds',
    'patchesStrategicMerge',
    'transformers',
    'generators',
    'validators',
    'configurations',
  ]) {
    out.push(...list(k[key]));
  }
  for (const key of ['patches', 'patchesJson6902', 'replacements']) {
    for (const p of list(k[key])) if (isPlainObject(p) && p.path !== undefined) out.push(p.path);
  }
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    for (const g of list(k[key])) {
      if (!isPlainObject(g)) continue;
      for (const f of [...list(g.files), ...list(g.envs), ...list(g.env)]) {
        // `files` entries may be `key=path`.
        out.push(typeof f === 'string' ? f.slice(f.indexOf('=') + 1) : f);
      }
    }
  }
  if (isPlainObject(k.openapi) && k.openapi.path !== undefined) out.push(k.openapi.path);
  if (isPlainObject(k.helmGlobals) && k.helmGlobals.chartHome !== undefined) out.push(k.helmGlobals.chartHome);
  return out;
}

/** Every local path a kustomization in `folder` reads, transitively; `undefined` when one cannot be followed. */
export async function kustomizationInputs(root: string, folder: string): Promise<string[] | undefined> {
  const found = new Set<string>();
  const visit = async (dir: string): Promise<boolean> => {
    if (found.has(dir)) return true;
    found.add(dir);
    const name = kustomizationNames.find((n) => existsSync(join(root, dir, n)));
    if (!name) return true; // a plain folder of manifests: the folder itself is the input
    let k: unknown;
    try {
      k = parse(await readFile(join(root, dir, name), 'utf8'));
    } catch {
      return false;
    }
    if (!isPlainObject(k)) return k === null;
    for (const entry of namedPaths(k)) {
      if (typeof entry !== 'string') return false;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(git@|github\.com\/|gitlab\.com\/)/.test(entry)) return false;
      const path = normalize(join(dir, entry));
      if (path.startsWith('..') || isAbsolute(path)) return false;
      if (path === dir || path.startsWith(`${dir}/`)) {
        // Inside the folder already counted, unless it is a folder with a kustomization of its own to follow.
        if (isDirectory(join(root, path)) && !(await visit(path))) return false;
        continue;
      }
      if (isDirectory(join(root, path))) {
        if (!(await visit(path))) return false;
      } else found.add(path);
    }
    return true;
  };
  if (!(await visit(normalize(folder)))) return undefined;
  // A folder inside another adds nothing: the outer one is read whole.
  const all = [...found].sort();
  return all.filter((p) => !all.some((q) => q !== p && (q === '.' || p.startsWith(`${q}/`))));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The digest of a render's inputs: the target as declared, the renderers' versions, and every file under the input
 * paths (path and bytes, in path order; symbolic links by their target text). Equal digests mean the render would
 * produce the same bytes, since rendering is deterministic or refused.
 */
export async function inputDigest(
  root: string,
  target: RenderTarget,
  inputs: readonly string[],
  renderers: readonly string[],
): Promise<string> {
  const hash = createHash('sha256');
  const { line: _line, ...declared } = target;
  hash.update(JSON.stringify(declared)).update('\0').update(renderers.join('\n')).update('\0');
  const files: string[] = [];
  for (const input of inputs) {
    const full = join(root, input);
    if (!existsSync(full)) {
      files.push(`${input}\0missing`);
      continue;
    }
    if (!isDirectory(full)) {
      files.push(input);
      continue;
    }
    const entries = (await readdir(full, { recursive: true, withFileTypes: true })) as Dirent[];
    for (const e of entries) {
      const rel = relative(root, join(e.parentPath, e.name));
      if (rel.split('/').some((part) => notInputs.has(part))) continue;
      if (e.isFile() || e.isSymbolicLink()) files.push(rel);
    }
  }
  for (const file of [...new Set(files)].sort()) {
    hash.update(file).update('\0');
    if (file.endsWith('\0missing')) continue;
    hash.update(await readFile(join(root, file)).catch(() => Buffer.from(`unreadable ${dirname(file)}`)));
    hash.update('\0');
  }
  return `sha256:${hash.digest('hex')}`;
}
