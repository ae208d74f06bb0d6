import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubeObject } from '../../core/sync/kube-object';

const kustomizationNames = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/**
 * `tidemark diff`'s memory of a folder's render: the rendered objects, under a hash of every file in the folder (path
 * and bytes). Parsing 2,000 YAML documents costs a second; hashing their files costs milliseconds, so a re-run of an
 * unchanged folder (CI retries, a human re-checking after `kubectl edit`) skips the parse. Any change to any file
 * under the folder is a new hash. A folder holding a kustomization is never cached: kustomize reads bases outside it.
 */
export async function renderWithCache(
  dir: string,
  cacheDir: string,
  render: (dir: string) => Promise<KubeObject[]>,
): Promise<KubeObject[]> {
  const key = await folderHash(dir);
  if (key === undefined) return render(dir);
  const path = join(cacheDir, `render-${key}.json.gz`);
  try {
    return JSON.parse(gunzipSync(await readFile(path)).toString('utf8')) as KubeObject[];
  } catch {
    const objects = await render(dir);
    await mkdir(cacheDir, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, gzipSync(JSON.stringify(objects)));
    await rename(temporary, path);
    return objects;
  }
}

/** sha256 over every file's relative path and content, or `undefined` when a kustomization makes it incomplete. */
async function folderHash(dir: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  const walk = async (folder: string): Promise<boolean> => {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === '.git') continue;
        if (!(await walk(path))) return false;
      } else if (entry.isFile()) {
        if (kustomizationNames.has(entry.name)) return false;
        const content = await readFile(path);
        hash.update(`${relative(dir, path)}\0${content.length}\0`).update(content);
      }
    }
    return true;
  };
  return (await walk(dir)) ? hash.digest('hex').slice(0, 32) : undefined;
}
