import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { KubeObject } from '../../core/sync/kube-object';
import { type ManifestFile, parseManifests, RenderError } from '../../core/sync/render';

const run = promisify(execFile);
const kustomizationNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface RenderOptions {
  /** The kubectl binary used for `kubectl kustomize`; default `$TIDEMARK_KUBECTL` or `kubectl` on the PATH. */
  kubectl?: string;
}

/**
 * Renders a folder of a config repo into Kubernetes objects, the way the agent and `tidemark apply DIR` see it:
 * - a folder with a `kustomization.yaml` is built with `kubectl kustomize` (the agent image ships kubectl, so overlays,
 *   patches and generators behave exactly as users test them locally);
 * - any other folder contributes every `.yaml`/`.yml`/`.json` file in it, recursively, each possibly multi-document.
 * Hidden folders (`.git`, `.tidemark`) are skipped. Every object is checked (apiVersion, kind, metadata.name, no
 * duplicates) before anything is returned, so a caller never applies half of a broken render.
 *
 * @throws RenderError naming the file (relative to `dir`) and document index, or the kustomization and kubectl's error.
 * @example
 * const objects = await renderFolder('/cache/repo/clusters/prod');
 */
export async function renderFolder(dir: string, options: RenderOptions = {}): Promise<KubeObject[]> {
  const files: ManifestFile[] = [];
  await collect(dir, dir, files, options);
  return parseManifests(files);
}

async function collect(root: string, dir: string, files: ManifestFile[], options: RenderOptions): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new RenderError(
      relative(root, dir) || '.',
      undefined,
      `cannot be read (${(error as NodeJS.ErrnoException).code})`,
      "Check the Sync's path: it must be a folder in the repository",
      { cause: error },
    );
  }
  const kustomization = entries.find((entry) => entry.isFile() && kustomizationNames.includes(entry.name));
  if (kustomization) {
    files.push({ path: relative(root, join(dir, kustomization.name)), text: await kustomize(root, dir, options) });
    return;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await collect(root, path, files, options);
    else if (entry.isFile() && /\.(ya?ml|json)$/.test(entry.name)) {
      files.push({ path: relative(root, path), text: await readFile(path, 'utf8') });
    }
  }
}

async function kustomize(root: string, dir: string, options: RenderOptions): Promise<string> {
  const kubectl = options.kubectl ?? process.env.TIDEMARK_KUBECTL ?? 'kubectl';
  try {
    const { stdout } = await run(kubectl, ['kustomize', dir], { maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    const where = relative(root, join(dir, 'kustomization.yaml'));
    if (failure.code === 'ENOENT') {
      throw new RenderError(where, undefined, `needs kubectl, which is not on the PATH`, 'Install kubectl', {
        cause: error,
      });
    }
    const detail = (failure.stderr ?? failure.message).trim().replace(/^error: /, '');
    throw new RenderError(where, undefined, `kubectl kustomize failed: ${detail}`, 'Fix the kustomization', {
      cause: error,
    });
  }
}
