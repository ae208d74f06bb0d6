import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { KubeObject } from '../../core/sync/kube-object';
import { type ManifestFile, parseManifests, RenderError } from '../../core/sync/render';
import { type ConfineOptions, confineToCheckout } from './confine-to-checkout';
import { type KustomizeOptions, kustomize } from './kustomize';

const kustomizationNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * Which program builds kustomizations: kubectl, or a kustomize binary where there is no kubectl (see kustomize.ts);
 * the deadline and abort signal each build runs under; and, for a folder of a checkout (the agent, the drift scanner),
 * the checkout it may not leave and whether kustomize may fetch remote resources (confine-to-checkout.ts).
 */
export type RenderOptions = KustomizeOptions & { confine?: ConfineOptions };

/**
 * Renders a folder of a config repo into Kubernetes objects, the way the agent and `tidemark apply DIR` see it:
 * - a folder with a `kustomization.yaml` is built with `kubectl kustomize` (the agent image ships kubectl, so overlays,
 *   patches and generators behave exactly as users test them locally), or with `kustomize build` where
 *   `TIDEMARK_KUSTOMIZE` names a kustomize binary (the drift scanner's Lambda, which has no kubectl);
 * - any other folder contributes every `.yaml`/`.yml`/`.json` file in it, recursively, each possibly multi-document.
 * Hidden folders (`.git`, `.tidemark`) are skipped. Every object is checked (apiVersion, kind, metadata.name, no
 * duplicates) before anything is returned, so a caller never applies half of a broken render.
 *
 * @throws RenderError naming the file (relative to `dir`) and document index, or the kustomization and kustomize's error.
 * @example
 * const objects = await renderFolder('/cache/repo/clusters/prod');
 */
export async function renderFolder(dir: string, options: RenderOptions = {}): Promise<KubeObject[]> {
  const files: ManifestFile[] = [];
  if (options.confine) await confineToCheckout(dir, options.confine);
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
    const path = relative(root, join(dir, kustomization.name));
    files.push({ path, text: await kustomize(dir, path, options) });
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
