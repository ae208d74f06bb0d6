import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { RenderError } from '../../core/sync/render';

export interface ConfineOptions {
  /** The checkout: a render reads nothing outside it. */
  root: string;
  /**
   * Let kustomize fetch remote resources (`https://…`, `github.com/org/repo//path?ref=…`). Off by default: anyone who
   * can commit would make the agent (and the drift scanner's Lambda) fetch any URL from inside the network.
   */
  remoteResources?: boolean;
}

const kustomizationNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * Refuses a render that would read outside the checkout, before anything is rendered: a folder that is (or passes
 * through) a symbolic link leading out of it, a symbolic link anywhere in the rendered tree that leads out of it, and a
 * kustomization whose `resources`, `bases` or `components` leave it (kustomize confines the files a kustomization names
 * to its own folder, but lets those reach any folder on the disk: in a pod, other Syncs' checkouts) or name a remote
 * resource the Sync did not opt in to. Kustomizations are followed through the folders they name, as kustomize does.
 *
 * Written here rather than left to kustomize: kubectl's kustomize has no option that confines a build to a folder
 * (Flux links kustomize's Go API with a confined file system, which a `kubectl kustomize` process cannot use).
 *
 * @throws RenderError naming the file or link (relative to the checkout) and what it reaches.
 */
export async function confineToCheckout(dir: string, options: ConfineOptions): Promise<void> {
  const root = await realpath(options.root);
  const inside = (path: string) => {
    const rel = relative(root, path);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  const shown = (path: string) => relative(options.root, path) || '.';
  const real = await realpath(dir).catch(() => undefined);
  if (real === undefined) return; // missing: renderFolder reports it
  if (!inside(real)) {
    throw new RenderError(
      shown(dir),
      undefined,
      'leads outside the repository through a symbolic link',
      "Commit the folder's files instead of a link to them",
    );
  }
  const seen = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    if (seen.has(folder)) return;
    seen.add(folder);
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target !== undefined && !inside(target)) {
          throw new RenderError(
            shown(path),
            undefined,
            'is a symbolic link to a path outside the repository',
            'Replace it with the files it points at',
          );
        }
      } else if (entry.isDirectory()) {
        await walk(path);
      }
    }
    const kustomization = entries.find((e) => e.isFile() && kustomizationNames.includes(e.name));
    if (kustomization) await followKustomization(join(folder, kustomization.name));
  };
  const followKustomization = async (file: string): Promise<void> => {
    let doc: unknown;
    try {
      doc = parse(await readFile(file, 'utf8'));
    } catch {
      return; // kustomize reports a broken kustomization with its own words
    }
    const fields = (doc ?? {}) as Record<string, unknown>;
    const named = ['resources', 'bases', 'components'].flatMap((key) =>
      Array.isArray(fields[key]) ? (fields[key] as unknown[]).filter((e): e is string => typeof e === 'string') : [],
    );
    for (const entry of named) {
      const local = resolve(dirname(file), entry);
      const exists = await lstat(local).then(
        () => true,
        () => false,
      );
      if (!exists) {
        if (looksRemote(entry) && !options.remoteResources) {
          throw new RenderError(
            shown(file),
            undefined,
            `names the remote resource '${entry}', which this Sync may not fetch`,
            'Vendor it into the repository, or set spec.remoteResources: true on the Sync',
          );
        }
        continue; // missing: kustomize reports it
      }
      const target = await realpath(local);
      if (!inside(target)) {
        throw new RenderError(
          shown(file),
          undefined,
          `names '${entry}', which is outside the repository`,
          'Name folders and files inside the repository only',
        );
      }
      if ((await lstat(target)).isDirectory()) await walk(target);
    }
  };
  await walk(real);
}

/** A kustomize resource entry that kustomize would fetch: a URL, or a repository spec such as `github.com/org/repo`. */
function looksRemote(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^git@/.test(entry) || /^[a-z0-9-]+(\.[a-z0-9-]+)+\//i.test(entry);
}
