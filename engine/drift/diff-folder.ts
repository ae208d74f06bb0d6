import { type DriftCacheStore, ephemeralDigestKey } from '../../adapters/state/drift-cache';
import type { DriftFinding, DriftReport } from '../../core/drift/drift-report';
import type { IgnoreRule } from '../../core/drift/ignore-rules';
import type { KubeObject } from '../../core/sync/kube-object';
import { type SyncRef, selectorFor, withOwnership } from '../../core/sync/ownership';
import type { ReadOnlyCluster } from '../cluster-port';
import { renderFolder } from '../render/render-folder';
import { type DriftScanStats, scanDrift } from './scan-drift';

export interface DiffFolderRequest {
  /** A folder of manifests or a kustomization: a local folder, or a checkout joined with a cluster's path. */
  dir: string;
  /** How the folder becomes objects. Default `renderFolder`; callers wrap it in their own cache. */
  render?: (dir: string) => Promise<KubeObject[]>;
  /** The Sync the folder is applied as: its labels go on the desired objects and select the live ones. */
  sync: SyncRef;
  /** What the report is about: the cluster's name (the scanner), or the Sync's (`tidemark diff`). */
  cluster: string;
  revision?: string;
  rules: readonly IgnoreRule[];
  /** Verdicts of earlier scans, and where this scan's are kept. A cache that cannot be read is empty. */
  cache?: DriftCacheStore;
  /** Kinds to LIST for orphans besides the rendered ones (from the Sync's inventory). */
  extraKinds?: readonly { apiVersion: string; kind: string }[];
  /** Findings about the Syncs themselves, added to the report as they are. */
  syncFindings?: readonly DriftFinding[];
  now: Date;
}

/**
 * The drift of a folder against a cluster, as `tidemark diff DIR` and the drift scanner both compute it: render, label
 * as the Sync would, scan (LIST per kind, cached verdicts, the managedFields check, the server-side apply dry-run),
 * remember the verdicts.
 *
 * @example
 * const { report } = await diffFolder(cluster, { dir: 'clusters/dev', sync: { namespace: 'default', name: 'dev' },
 *   cluster: 'dev', rules: [], now: new Date() });
 */
export async function diffFolder(
  cluster: ReadOnlyCluster,
  request: DiffFolderRequest,
): Promise<{ report: DriftReport; stats: DriftScanStats }> {
  const rendered = await (request.render ?? renderFolder)(request.dir);
  const { report, cache, stats } = await scanDrift(
    {
      cluster: request.cluster,
      revision: request.revision,
      desired: rendered.map((object) => withOwnership(object, request.sync)),
      labelSelector: selectorFor(request.sync),
      rules: request.rules,
      extraKinds: request.extraKinds,
      syncFindings: request.syncFindings,
      previous: (await request.cache?.load().catch(() => new Map())) ?? new Map(),
      digestKey: (await request.cache?.digestKey()) ?? ephemeralDigestKey(),
      now: request.now,
    },
    cluster,
  );
  await request.cache?.save(cache);
  return { report, stats };
}
