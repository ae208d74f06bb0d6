import type { ResourceFolderConfig } from './resources-settings';

/**
 * The folders of resources whose reconcilers should run after a push that changed `changedPaths`: each folder that
 * holds a changed path (`resources/dns/api.yaml` wakes `resources/dns`), or every folder when the payload may not
 * list every path (`incomplete`). Unlike a cluster, a folder pulls in nothing from elsewhere in the repository, so a
 * path outside every folder wakes none.
 *
 * @example
 * affectedResourceFolders(['resources/dns/api.yaml'], false, config.resources) // → ['resources/dns']
 */
export function affectedResourceFolders(
  changedPaths: readonly string[],
  incomplete: boolean,
  folders: readonly Pick<ResourceFolderConfig, 'name' | 'path'>[],
): string[] {
  const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
  return folders
    .filter((f) => incomplete || changedPaths.some((p) => inside(p, f.path)))
    .map((f) => `resources/${f.name}`);
}
