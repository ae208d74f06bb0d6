import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { Credentials } from '../../adapters/kubernetes/kube-credentials';
import type { HelmSource } from '../../core/helm/chart-source';
import { planHooks, type ReleasePhase } from '../../core/helm/hooks';
import type { HelmReleaseStatus } from '../../core/helm/release-status';
import { ChangeSet } from '../../core/sync/change-set';
import { RenderError } from '../../core/sync/render';
import { revisionApplied } from '../../core/sync/sync-outcome';
import type { ChartCredentials } from '../render/helm-chart';
import { type RenderedRelease, renderRelease } from '../render/render-release';
import { runHooks } from './run-hooks';
import { type SyncFolderRequest, type SyncFolderResult, syncFolder } from './sync-folder';

/** What the Sync's status says of its Helm release (`tidemark get` shows chart and version; `helm ls` shows nothing). */
export type ReleaseStatus = HelmReleaseStatus;

export interface SyncReleaseRequest extends Omit<SyncFolderRequest, 'rendered'> {
  helm: HelmSource;
  /** The checkout of the config repo (a chart path is relative to it; `dir` is the Sync's folder in it). */
  repoRoot: string;
  /** The last applied release, from the Sync's status: decides whether upgrade hooks run. */
  previousRelease?: Pick<ReleaseStatus, 'revision'>;
  /** The agent's identity for Helm's `lookup`. */
  lookupAs?: Credentials;
  chartCredentials?: ChartCredentials;
  helmBinary?: string;
  chartCache?: string;
  hookTimeoutMs?: number;
}

/**
 * One reconcile of a Helm release, with the same engine as a folder: render (Helm) → pre hooks → staged server-side
 * apply and prune of the release objects (CRDs from crds/ first) → post hooks. Install or upgrade is the inventory's
 * call: no previous inventory is an install. Hooks run only when the render differs from the last applied one, as a
 * `helm upgrade` would run them once per change, never on a steady-state reconcile. A failed hook stops the reconcile
 * with the hook's name; a pre hook that fails leaves the release objects untouched.
 */
export interface SyncReleaseResult extends SyncFolderResult {
  release?: ReleaseStatus;
  /**
   * The ConfigMaps and Secrets of the Sync's namespace the values came from, at the resourceVersions read (absent when
   * the render failed): the agent watches them so that a change re-renders at once.
   */
  valuesSources?: RenderedRelease['valuesSources'];
}

export async function syncRelease(cluster: ClusterClient, request: SyncReleaseRequest): Promise<SyncReleaseResult> {
  const phase: ReleasePhase = request.previous && request.previous.entries.length > 0 ? 'upgrade' : 'install';
  let rendered: RenderedRelease;
  try {
    rendered = await renderRelease(cluster, {
      sync: request.sync,
      source: request.helm,
      repoRoot: request.repoRoot,
      dir: request.dir,
      phase,
      lookupAs: request.lookupAs,
      chartCredentials: request.chartCredentials,
      helm: request.helmBinary,
      chartCache: request.chartCache,
      signal: request.render?.signal,
    });
  } catch (error) {
    if (error instanceof RenderError)
      return { outcome: { kind: 'render-failed', revision: request.revision, message: error.message }, desired: [] };
    throw error;
  }
  const release: ReleaseStatus = {
    ...rendered.release,
    chart: rendered.chart.name,
    version: rendered.chart.version,
    revision: rendered.revision,
    hooks: [],
    unjudgeable: rendered.unjudgeable,
    warnings: rendered.warnings,
  };
  const changed = rendered.revision !== request.previousRelease?.revision;
  const hooks = changed && !request.dryRun ? planHooks(rendered.hooks, phase) : { pre: [], post: [] };
  const hookOptions = { sync: request.sync, namespace: rendered.release.namespace, timeoutMs: request.hookTimeoutMs };

  const pre = await runHooks(cluster, hooks.pre, hookOptions);
  release.hooks.push(...pre.ran);
  if (pre.kind === 'failed') {
    return {
      outcome: {
        kind: 'apply-failed',
        revision: request.revision,
        message: pre.message,
        failures: [pre.message],
        changeSet: new ChangeSet(),
      },
      desired: [],
      // The render did not become the release: keep the previous revision so the hooks run again next time.
      release: { ...release, revision: request.previousRelease?.revision ?? '' },
      valuesSources: rendered.valuesSources,
    };
  }
  const result = await syncFolder(cluster, { ...request, rendered: rendered.objects });
  if (!revisionApplied(result.outcome) || hooks.post.length === 0) {
    return revisionApplied(result.outcome)
      ? { ...result, release, valuesSources: rendered.valuesSources }
      : {
          ...result,
          release: { ...release, revision: request.previousRelease?.revision ?? '' },
          valuesSources: rendered.valuesSources,
        };
  }
  const post = await runHooks(cluster, hooks.post, hookOptions);
  release.hooks.push(...post.ran);
  if (post.kind === 'failed') {
    const outcome = result.outcome;
    return {
      outcome: {
        kind: 'apply-failed',
        revision: request.revision,
        message: post.message,
        failures: [post.message],
        changeSet: 'changeSet' in outcome ? outcome.changeSet : new ChangeSet(),
        ...('inventory' in outcome ? { inventory: outcome.inventory } : {}),
      },
      desired: result.desired,
      release: { ...release, revision: request.previousRelease?.revision ?? '' },
      valuesSources: rendered.valuesSources,
    };
  }
  return { ...result, release, valuesSources: rendered.valuesSources };
}
