import { stringify } from 'yaml';
import { groupOf, type KubeObject } from '../sync/kube-object';
import type { Destination } from './render-targets';

/** The files Tidemark writes beside rendered manifests, and never counts as output of the render. */
export const METADATA_FILE = 'hydrator.metadata';
export const README_FILE = 'README.md';

/**
 * One object as committed: block style with the renderer's key order, no line folding (a long annotation stays on one
 * line, so a diff shows the change and nothing else), strings quoted where either YAML version needs it. Written as
 * YAML 1.1 scalars: kubectl, Helm and Argo CD read YAML as Go's yaml.v2 does, where an unquoted `y`, `on` or `0755` is
 * a boolean or a number (a ConfigMap named `y` would not decode); a YAML 1.2 reader reads the quoted forms the same.
 */
export function objectYaml(object: KubeObject): string {
  return stringify(object, { lineWidth: 0, minContentWidth: 0, version: '1.1', aliasDuplicateObjects: false });
}

/**
 * The files of a render, by path relative to the destination folder:
 * - `files` layout: one file per object, `<namespace>/<Kind>-<name>.yaml` (an object that names no namespace, cluster-scoped
 *   or left to the Sync's namespace, at the top), so a changed object is a changed file and a removed one a deleted file. When two objects of one namespace, kind
 *   and name differ only by API group, both names carry the group (`Certificate.cert-manager.io-web.yaml`).
 * - `manifest` layout: one `manifest.yaml` with every object in render order, as Argo CD's Source Hydrator writes.
 *
 * @example
 * renderedFiles([deployment], 'files') // Map { 'shop/Deployment-web.yaml' => 'apiVersion: apps/v1\n…' }
 */
export function renderedFiles(objects: readonly KubeObject[], layout: Destination['layout']): Map<string, string> {
  const files = new Map<string, string>();
  if (layout === 'manifest') {
    if (objects.length > 0) files.set('manifest.yaml', objects.map(objectYaml).join('---\n'));
    return files;
  }
  const folder = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/` : '');
  const plain = (o: KubeObject) => `${folder(o)}${o.kind}-${o.metadata.name}`;
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(plain(o), (counts.get(plain(o)) ?? 0) + 1);
  for (const o of objects) {
    const group = groupOf(o.apiVersion);
    const name =
      (counts.get(plain(o)) ?? 0) > 1
        ? `${folder(o)}${o.kind}${group ? `.${group}` : ''}-${o.metadata.name}`
        : plain(o);
    files.set(`${name}.yaml`, objectYaml(o));
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether a path of a destination folder is Tidemark's bookkeeping rather than rendered output. */
export function isBookkeeping(relativePath: string): boolean {
  return relativePath === METADATA_FILE || relativePath === README_FILE;
}
