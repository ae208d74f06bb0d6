import { isPlainObject, type KubeObject } from '../sync/kube-object';
import { HelmSource } from './chart-source';

/**
 * Flux's `HelmRelease` (helm.toolkit.fluxcd.io) with its `HelmRepository`/`OCIRepository` source
 * (source.toolkit.fluxcd.io), read as a Tidemark Helm release, so a Flux config repo such as
 * fluxcd/flux2-kustomize-helm-example moves over unchanged. Opt-in per Sync (`spec.fluxHelmReleases: true`), and only
 * meaningful where Flux's CRDs are not installed: otherwise the objects belong to Flux's controllers.
 *
 * What maps: `chart.spec.{chart,version,sourceRef}` and `chartRef` (OCIRepository `url` + `ref.tag`/`ref.semver`),
 * `releaseName` (Flux's default `[targetNamespace-]name`), `targetNamespace`, `values`, `valuesFrom` (without
 * `targetPath`), and the source's `secretRef`. What does not (named in `problems`, so the Sync says so instead of
 * silently doing less): charts from a `GitRepository` or `Bucket`, `postRenderers`, `valuesFrom[].targetPath`,
 * `dependsOn` across releases.
 */
export interface FluxRelease {
  /** `HelmRelease/<namespace>/<name>`, for messages and status. */
  origin: string;
  source: HelmSource;
  /** A Secret in the HelmRelease's namespace with the source's credentials (Flux's `secretRef`). */
  credentialsSecret?: string;
}

export interface FluxReleases {
  releases: FluxRelease[];
  /** Everything else in the render, to apply as usual (the HelmReleases and the sources they use are taken out). */
  rest: KubeObject[];
  problems: string[];
}

const helmReleaseGroup = 'helm.toolkit.fluxcd.io/';
const sourceGroup = 'source.toolkit.fluxcd.io/';

export function fluxReleasesIn(objects: readonly KubeObject[]): FluxReleases {
  const sources = new Map<string, KubeObject>();
  for (const o of objects)
    if (o.apiVersion.startsWith(sourceGroup))
      sources.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  const used = new Set<string>();
  const releases: FluxRelease[] = [];
  const problems: string[] = [];
  for (const object of objects) {
    if (!object.apiVersion.startsWith(helmReleaseGroup) || object.kind !== 'HelmRelease') continue;
    const origin = `HelmRelease/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const translated = translate(object, sources, used);
    if (typeof translated === 'string') problems.push(`${origin}: ${translated}`);
    else releases.push({ origin, ...translated });
  }
  const rest = objects.filter(
    (o) =>
      !(o.apiVersion.startsWith(helmReleaseGroup) && o.kind === 'HelmRelease') &&
      !used.has(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`),
  );
  return { releases, rest, problems };
}

function translate(
  release: KubeObject,
  sources: ReadonlyMap<string, KubeObject>,
  used: Set<string>,
): { source: HelmSource; credentialsSecret?: string } | string {
  const spec = isPlainObject(release.spec) ? release.spec : {};
  const namespace = release.metadata.namespace ?? 'default';
  const targetNamespace = typeof spec.targetNamespace === 'string' ? spec.targetNamespace : undefined;
  if (spec.postRenderers !== undefined) return 'postRenderers are not supported; render with kustomize instead';
  const chart = chartOf(spec, namespace, sources, used);
  if (typeof chart === 'string') return chart;
  const valuesFrom = Array.isArray(spec.valuesFrom) ? spec.valuesFrom : [];
  if (valuesFrom.some((v) => isPlainObject(v) && v.targetPath !== undefined))
    return 'valuesFrom[].targetPath is not supported; put the value under its key in a values document';
  const parsed = HelmSource.safeParse({
    chart: chart.chart,
    releaseName:
      typeof spec.releaseName === 'string'
        ? spec.releaseName
        : `${targetNamespace ? `${targetNamespace}-` : ''}${release.metadata.name}`,
    targetNamespace: targetNamespace ?? namespace,
    values: isPlainObject(spec.values) ? spec.values : {},
    valuesFrom: valuesFrom.map((v) =>
      isPlainObject(v) ? { kind: v.kind, name: v.name, valuesKey: v.valuesKey, optional: v.optional } : v,
    ),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') ?? 'spec'}: ${issue?.message ?? 'invalid'}`;
  }
  return { source: parsed.data, ...(chart.secret ? { credentialsSecret: chart.secret } : {}) };
}

function chartOf(
  spec: Record<string, unknown>,
  namespace: string,
  sources: ReadonlyMap<string, KubeObject>,
  used: Set<string>,
): { chart: Record<string, unknown>; secret?: string } | string {
  const find = (ref: unknown, kinds: string[]) => {
    if (!isPlainObject(ref) || typeof ref.name !== 'string' || typeof ref.kind !== 'string') return 'names no source';
    if (!kinds.includes(ref.kind))
      return `a chart from a ${ref.kind} is not supported; use a HelmRepository or OCIRepository`;
    const key = `${ref.kind}/${typeof ref.namespace === 'string' ? ref.namespace : namespace}/${ref.name}`;
    const source = sources.get(key);
    if (!source) return `its source ${key} is not in this Sync's folder`;
    used.add(key);
    const sourceSpec = isPlainObject(source.spec) ? source.spec : {};
    const secret =
      isPlainObject(sourceSpec.secretRef) && typeof sourceSpec.secretRef.name === 'string'
        ? sourceSpec.secretRef.name
        : undefined;
    return { source: sourceSpec, secret };
  };
  if (isPlainObject(spec.chartRef)) {
    const found = find(spec.chartRef, ['OCIRepository']);
    if (typeof found === 'string') return found;
    const ref = isPlainObject(found.source.ref) ? found.source.ref : {};
    const version = typeof ref.tag === 'string' ? ref.tag : typeof ref.semver === 'string' ? ref.semver : undefined;
    if (typeof ref.digest === 'string')
      return 'an OCIRepository pinned by digest is not supported; pin the version (ref.tag)';
    return { chart: { oci: found.source.url, ...(version ? { version } : {}) }, secret: found.secret };
  }
  const chartSpec = isPlainObject(spec.chart) && isPlainObject(spec.chart.spec) ? spec.chart.spec : undefined;
  if (!chartSpec) return 'has neither chart.spec nor chartRef';
  const found = find(chartSpec.sourceRef, ['HelmRepository']);
  if (typeof found === 'string') return found;
  const version = typeof chartSpec.version === 'string' && chartSpec.version !== '*' ? chartSpec.version : undefined;
  const url = String(found.source.url ?? '');
  const chart =
    found.source.type === 'oci' || url.startsWith('oci://')
      ? { oci: `${url.replace(/\/$/, '')}/${chartSpec.chart}` }
      : { repository: url, name: chartSpec.chart };
  return { chart: { ...chart, ...(version ? { version } : {}) }, secret: found.secret };
}
