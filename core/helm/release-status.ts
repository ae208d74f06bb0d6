/**
 * `status.helm` of a Sync that releases a chart: what `helm ls` would have shown, since Tidemark writes no Helm
 * release Secrets. `tidemark get` shows the chart and version from here; `revision` decides whether upgrade hooks run.
 */
export interface HelmReleaseStatus {
  /** `HelmRelease/<namespace>/<name>` for a Flux HelmRelease of the folder; absent for `spec.helm`. */
  origin?: string;
  name: string;
  namespace: string;
  chart: string;
  version: string;
  /** Fingerprint of the last applied render (core/helm/release-revision.ts); no secret data goes into it. */
  revision: string;
  /** Hooks the last reconcile ran, in order (`Kind/namespace/name (template)`). */
  hooks: string[];
  /** Templates calling `lookup` that were rendered without the cluster. */
  unjudgeable: string[];
  warnings: string[];
}
