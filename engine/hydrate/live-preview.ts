import { type LiveChanges, liveChangesOf } from '../../core/hydrate/live-changes';
import type { SyncRef } from '../../core/sync/ownership';
import type { ReadOnlyCluster } from '../cluster-port';
import { diffFolder } from '../drift/diff-folder';

/**
 * What applying a folder as `sync` would change in a live cluster: the drift scanner's scan of it (read-only: LIST by
 * the Sync's labels and the server-side apply dry-run, the scanner's own access), read as changes a merge would make.
 */
export async function liveChangesIn(
  cluster: ReadOnlyCluster,
  request: {
    dir: string;
    sync: SyncRef;
    cluster: string;
    maxPrunePercent: number;
    /** Kinds to LIST for objects a merge would prune, besides the rendered ones (what the cluster runs now). */
    extraKinds?: readonly { apiVersion: string; kind: string }[];
    now?: Date;
  },
): Promise<LiveChanges> {
  const { report } = await diffFolder(cluster, {
    dir: request.dir,
    sync: request.sync,
    cluster: request.cluster,
    rules: [],
    extraKinds: request.extraKinds,
    now: request.now ?? new Date(),
  });
  return liveChangesOf(report, request.sync, request.maxPrunePercent);
}
