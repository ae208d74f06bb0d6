import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { planHooks, type ReleasePhase } from '../../core/helm/hooks';
import type { HelmReleaseStatus } from '../../core/helm/release-status';
import { ChangeSet } from '../../core/sync/change-set';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, objectIdOf, objectKey } from '../../core/sync/object-id';
import { revisionApplied, type SyncOutcome } from '../../core/sync/sync-outcome';
import type { RenderedRelease } from '../render/render-release';
import { runHooks } from './run-hooks';
import { type SyncFolderRequest, type SyncFolderResult, syncFolder } from './sync-folder';

/** One release of a reconcile, rendered: a Sync's `spec.helm`, or one Flux HelmRelease of its folder. */
export interface ReleaseToApply {
  /** `HelmRelease/<namespace>/<name>` for a Flux release; absent for `spec.helm`. */
  origin?: string;
  rendered: RenderedRelease;
  phase: ReleasePhase;
  /** The fingerprint of the last render applied (from the Sync's status): upgrade hooks run when it changed. */
  previousRevision?: string;
}

/** What the Sync's status says of each release (`helm ls` shows nothing: Tidemark writes no release Secrets). */
export type ReleaseStatus = HelmReleaseStatus;

export interface AppliedReleases extends SyncFolderResult {
  /** One per release, in order; a release that did not become current keeps its previous revision. */
  releases: ReleaseStatus[];
}

export interface ApplyReleasesRequest extends Omit<SyncFolderRequest, 'rendered'> {
  hookTimeoutMs?: number;
}

/**
 * The apply half of a reconcile with Helm releases, for one release or several: each release's pre hooks (only when
 * its render changed since the last apply, never in a dry run), then one staged server-side apply and prune of
 * everything (the folder's other objects and every release's objects, CRDs first: one inventory), then each release's
 * post hooks. A failed pre hook stops the reconcile before anything of it is applied; a failed post hook leaves the
 * release at its previous revision, so its hooks run again at the next reconcile.
 */
export async function applyReleases(
  cluster: ClusterClient,
  request: ApplyReleasesRequest,
  others: readonly KubeObject[],
  releases: readonly ReleaseToApply[],
): Promise<AppliedReleases> {
  const statuses = releases.map(statusOf);
  const kept = () =>
    releases.map((r, i) => ({ ...(statuses[i] as ReleaseStatus), revision: r.previousRevision ?? '' }));
  const twice = duplicateIn(others, releases);
  if (twice) {
    return {
      outcome: { kind: 'render-failed', revision: request.revision, message: twice },
      desired: [],
      releases: kept(),
    };
  }
  const plans = releases.map((r) =>
    r.rendered.revision !== r.previousRevision && !request.dryRun
      ? planHooks(r.rendered.hooks, r.phase)
      : { pre: [], post: [] },
  );
  const hookOptions = (r: ReleaseToApply) => ({
    sync: request.sync,
    namespace: r.rendered.release.namespace,
    timeoutMs: request.hookTimeoutMs,
  });
  for (const [i, release] of releases.entries()) {
    const pre = await runHooks(cluster, plans[i]?.pre ?? [], hookOptions(release));
    statuses[i]?.hooks.push(...pre.ran);
    if (pre.kind === 'failed') {
      return { outcome: hookFailed(request.revision, pre.message), desired: [], releases: kept() };
    }
  }
  const result = await syncFolder(cluster, {
    ...request,
    rendered: [...others, ...releases.flatMap((r) => r.rendered.objects)],
  });
  if (!revisionApplied(result.outcome)) return { ...result, releases: kept() };
  for (const [i, release] of releases.entries()) {
    const post = await runHooks(cluster, plans[i]?.post ?? [], hookOptions(release));
    statuses[i]?.hooks.push(...post.ran);
    if (post.kind === 'failed') {
      return {
        outcome: hookFailed(request.revision, post.message, result.outcome),
        desired: result.desired,
        releases: statuses.map((s, j) => (j === i ? { ...s, revision: release.previousRevision ?? '' } : s)),
      };
    }
  }
  return { ...result, releases: statuses };
}

function statusOf(release: ReleaseToApply): ReleaseStatus {
  const { rendered } = release;
  return {
    ...(release.origin ? { origin: release.origin } : {}),
    ...rendered.release,
    chart: rendered.chart.name,
    version: rendered.chart.version,
    revision: rendered.revision,
    hooks: [],
    unjudgeable: rendered.unjudgeable,
    warnings: rendered.warnings,
  };
}

function hookFailed(revision: string, message: string, applied?: SyncOutcome): SyncOutcome {
  return {
    kind: 'apply-failed',
    revision,
    message,
    failures: [message],
    changeSet: applied && 'changeSet' in applied ? applied.changeSet : new ChangeSet(),
    ...(applied && 'inventory' in applied && applied.inventory ? { inventory: applied.inventory } : {}),
  };
}

/** Two releases (or a release and the folder) rendering the same object would fight over it on every reconcile. */
function duplicateIn(others: readonly KubeObject[], releases: readonly ReleaseToApply[]): string | undefined {
  const owner = new Map<string, string>();
  const sources: [string, readonly KubeObject[]][] = [
    ['the folder', others],
    ...releases.map((r): [string, readonly KubeObject[]] => [
      r.origin ?? `release ${r.rendered.release.namespace}/${r.rendered.release.name}`,
      r.rendered.objects,
    ]),
  ];
  for (const [source, objects] of sources) {
    for (const object of objects) {
      const key = objectKey(objectIdOf(object));
      const first = owner.get(key);
      if (first !== undefined && first !== source) {
        return `${describeObject(objectIdOf(object))} is rendered by both ${first} and ${source}. Give each release its own release name or namespace; nothing was applied`;
      }
      owner.set(key, source);
    }
  }
  return undefined;
}
