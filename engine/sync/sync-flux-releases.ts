import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { Credentials } from '../../adapters/kubernetes/kube-credentials';
import { type ChartMirror, mirrorChart } from '../../core/helm/chart-mirrors';
import type { ChartRef } from '../../core/helm/chart-source';
import { fluxReleasesIn } from '../../core/helm/flux-helm-release';
import type { HelmReleaseStatus } from '../../core/helm/release-status';
import type { KubeObject } from '../../core/sync/kube-object';
import { RenderError } from '../../core/sync/render';
import type { ChartCredentials } from '../render/helm-chart';
import { renderFolder } from '../render/render-folder';
import { type RenderedRelease, renderRelease } from '../render/render-release';
import { type AppliedReleases, applyReleases, type ReleaseToApply } from './apply-releases';
import type { SyncFolderRequest } from './sync-folder';

export interface SyncFluxReleasesRequest extends Omit<SyncFolderRequest, 'rendered'> {
  /** The checkout of the config repo (`dir` is the Sync's folder in it). */
  repoRoot: string;
  /** What the Sync's status says of each release last time (by origin): decides install vs upgrade and hooks. */
  previousReleases?: readonly Pick<HelmReleaseStatus, 'origin' | 'revision'>[];
  /** Where charts are pulled from instead of the URL Git names (the cluster's network: `TIDEMARK_CHART_MIRRORS`). */
  mirrors?: readonly ChartMirror[];
  /** Credentials for a chart: a secretRef's Secret (in `namespace`), or an ECR token. */
  chartCredentials(chart: ChartRef, namespace: string): Promise<ChartCredentials | undefined>;
  lookupAs?: Credentials;
  helmBinary?: string;
  chartCache?: string;
  hookTimeoutMs?: number;
}

export interface SyncFluxReleasesResult extends AppliedReleases {
  /** The values ConfigMaps/Secrets the releases read, for the agent's watch (absent when rendering failed). */
  valuesSources?: RenderedRelease['valuesSources'];
}

/**
 * One reconcile of a folder that holds Flux `HelmRelease`s (`spec.fluxHelmReleases`), with Flux's CRDs not installed:
 * the folder is rendered (plain YAML or kustomize, as Flux's kustomize-controller would), each HelmRelease with its
 * HelmRepository/OCIRepository becomes a release rendered by the real Helm, and everything (the folder's other
 * objects and every release's) is applied and pruned as one inventory (engine/sync/apply-releases.ts). A HelmRelease
 * using what Tidemark does not support stops the reconcile naming it; nothing is applied or deleted then.
 *
 * Credentials and valuesFrom are read from the Sync's namespace, as for `spec.helm` (tenancy: a Sync reads Secrets
 * of its own namespace only), not from the HelmRelease's.
 */
export async function syncFluxReleases(
  cluster: ClusterClient,
  request: SyncFluxReleasesRequest,
): Promise<SyncFluxReleasesResult> {
  const failed = (message: string): SyncFluxReleasesResult => ({
    outcome: { kind: 'render-failed', revision: request.revision, message },
    desired: [],
    releases: [],
  });
  let objects: KubeObject[];
  try {
    objects = await renderFolder(request.dir);
  } catch (error) {
    if (error instanceof RenderError) return failed(error.message);
    throw error;
  }
  const found = fluxReleasesIn(objects);
  if (found.problems.length > 0) return failed(`${found.problems.join('; ')}. Nothing was applied`);
  const releases: ReleaseToApply[] = [];
  for (const flux of found.releases) {
    // A release whose first apply did not complete has no revision yet: it is still an install.
    const previous = request.previousReleases?.find((r) => r.origin === flux.origin && r.revision);
    const { chart, mirror } = mirrorChart(flux.source.chart, request.mirrors ?? []);
    const credentials = mirror
      ? mirror.secretRef
        ? await request.chartCredentials(
            { ...chart, secretRef: { name: mirror.secretRef.name } },
            mirror.secretRef.namespace,
          )
        : await request.chartCredentials(chart, request.sync.namespace)
      : await request.chartCredentials(
          flux.credentialsSecret ? { ...chart, secretRef: { name: flux.credentialsSecret } } : chart,
          request.sync.namespace,
        );
    try {
      const rendered = await renderRelease(cluster, {
        sync: request.sync,
        source: { ...flux.source, chart },
        repoRoot: request.repoRoot,
        dir: request.dir,
        phase: previous ? 'upgrade' : 'install',
        lookupAs: request.lookupAs,
        chartCredentials: credentials,
        helm: request.helmBinary,
        chartCache: request.chartCache,
        signal: request.render?.signal,
      });
      releases.push({
        origin: flux.origin,
        rendered,
        phase: previous ? 'upgrade' : 'install',
        previousRevision: previous?.revision,
      });
    } catch (error) {
      if (error instanceof RenderError) return failed(`${flux.origin}: ${error.message}`);
      throw error;
    }
  }
  const applied = await applyReleases(cluster, request, found.rest, releases);
  return { ...applied, valuesSources: releases.flatMap((r) => r.rendered.valuesSources) };
}
