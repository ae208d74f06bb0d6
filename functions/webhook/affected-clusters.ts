import type { ClusterConfig } from '../../core/config/deployment-config';

/**
 * Paths outside every cluster folder that cannot change what a cluster applies: the image policies and drift
 * settings under `.tidemark/` (read by the Lambdas, not the agent), and Markdown documentation.
 */
const notManifests = [/^\.tidemark\//, /\.md$/i];

/**
 * The clusters whose agents should reconcile after a push that changed `changedPaths`.
 *
 * A path inside a cluster's folder wakes that cluster. A path outside every cluster folder wakes all of them, because
 * it may be a shared base that an overlay pulls in (`resources: ../../apps/web/base` in `clusters/prod`), and only a
 * render would tell which clusters use it; an extra reconcile costs one fetch, a missed one a poll interval. When the
 * payload may not list every changed path (`incomplete`), every cluster is affected.
 *
 * @example
 * affectedClusters(['clusters/dev/web/deployment.yaml'], false, config.clusters) // → the dev cluster only
 */
export function affectedClusters(
  changedPaths: readonly string[],
  incomplete: boolean,
  clusters: readonly ClusterConfig[],
  /** Folders of resources (`resources[].path`): their declarations are read by reconcilers, never by an agent. */
  resourceFolders: readonly string[] = [],
): ClusterConfig[] {
  if (incomplete) return [...clusters];
  const affected = new Set<ClusterConfig>();
  const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
  for (const path of changedPaths) {
    const owners = clusters.filter((c) => inside(path, c.path));
    if (owners.length > 0) {
      for (const c of owners) affected.add(c);
    } else if (!notManifests.some((re) => re.test(path)) && !resourceFolders.some((f) => inside(path, f))) {
      return [...clusters];
    }
  }
  return clusters.filter((c) => affected.has(c));
}
