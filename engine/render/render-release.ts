import { existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { Credentials } from '../../adapters/kubernetes/kube-credentials';
import { type HelmSource, type Release, releaseOf } from '../../core/helm/chart-source';
import { keepGeneratedFields } from '../../core/helm/generated-fields';
import type { Hook, ReleasePhase } from '../../core/helm/hooks';
import { releaseRevision } from '../../core/helm/release-revision';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, objectIdOf, objectKey, parseObjectKey } from '../../core/sync/object-id';
import { RenderError } from '../../core/sync/render';
import { type ChartCredentials, type ClusterCapabilities, renderChart, type ValuesLayer } from './helm-chart';

export interface ReleaseRenderRequest {
  /** The Sync: its namespace holds the valuesFrom ConfigMaps/Secrets and the chart credentials Secret. */
  sync: { namespace: string; name: string };
  source: HelmSource;
  /** The checkout of the config repo. */
  repoRoot: string;
  /** The Sync's folder in the checkout: values files are relative to it. */
  dir: string;
  phase: ReleasePhase;
  /**
   * The agent's credentials, so `lookup` reads the cluster as the agent (Helm's `--dry-run=server`). Omitted for a
   * dry render (the drift scanner, whose identity may not read Secrets): templates calling lookup are reported.
   */
  lookupAs?: Credentials;
  /** Credentials for the registry or chart repository (an ECR token, or the secretRef's basic auth). */
  chartCredentials?: ChartCredentials;
  helm?: string;
  chartCache?: string;
  /** The reconcile's render deadline (spec.timeout) and stop: a helm command still running then is killed. */
  signal?: AbortSignal;
}

export interface RenderedRelease {
  release: Release;
  chart: { name: string; version: string };
  /** CRDs from crds/ first, then the release objects; generated fields already carry the cluster's values. */
  objects: KubeObject[];
  hooks: Hook[];
  /** The fingerprint of this render (see core/helm/release-revision): upgrade hooks run when it changes. */
  revision: string;
  /** The ConfigMaps and Secrets the values came from, for status and the watch that reconciles on their change. */
  valuesSources: { kind: 'ConfigMap' | 'Secret'; name: string; resourceVersion: string }[];
  unjudgeable: string[];
  /** The objects those templates rendered (`Kind/namespace/name`): the drift scanner does not judge them. */
  unjudgedObjects: string[];
  warnings: string[];
}

/**
 * Renders a Sync's Helm release against a cluster: reads the values (files from the checkout, then ConfigMaps and
 * Secrets of the Sync's namespace, then inline), the cluster's capabilities from discovery, renders with
 * {@link renderChart}, and gives each generated field the value the cluster already holds.
 *
 * @throws RenderError (or ChartRenderError) naming what is wrong; nothing has been applied.
 */
/** What rendering a release reads from the cluster: discovery, the values' ConfigMaps/Secrets, generated fields. */
export type ReleaseCluster = Pick<ClusterClient, 'request' | 'get' | 'isNamespaced'>;

export async function renderRelease(cluster: ReleaseCluster, request: ReleaseRenderRequest): Promise<RenderedRelease> {
  const release = releaseOf(request.source, request.sync);
  const { layers, sources, gitValues } = await valuesOf(cluster, request);
  const rendered = await renderChart({
    source: request.source,
    release,
    repoRoot: request.repoRoot,
    values: layers,
    phase: request.phase,
    capabilities: await capabilitiesOf(cluster),
    lookup: request.lookupAs ? { credentials: request.lookupAs } : undefined,
    credentials: request.chartCredentials,
    helm: request.helm,
    chartCache: request.chartCache,
    signal: request.signal,
  });
  const objects: KubeObject[] = [];
  for (const object of [...rendered.crds, ...rendered.objects]) {
    const withNamespace =
      object.metadata.namespace === undefined && (await namespaced(cluster, object))
        ? { ...object, metadata: { ...object.metadata, namespace: release.namespace } }
        : object;
    const paths =
      rendered.generated.get(objectKey(objectIdOf(object))) ??
      rendered.generated.get(objectKey(objectIdOf(withNamespace)));
    if (!paths) {
      objects.push(withNamespace);
      continue;
    }
    const id = parseObjectKey(objectKey(objectIdOf(withNamespace)));
    const live = await cluster.get({
      apiVersion: withNamespace.apiVersion,
      kind: id.kind,
      namespace: id.namespace || undefined,
      name: id.name,
    });
    objects.push(keepGeneratedFields(withNamespace, live, paths));
  }
  return {
    release,
    chart: rendered.chart,
    objects,
    hooks: rendered.hooks,
    revision: releaseRevision({
      chart: rendered.chart.name,
      version: rendered.chart.version,
      objects,
      gitValues,
      valuesSources: sources,
    }),
    valuesSources: sources,
    unjudgeable: rendered.unjudgeable,
    unjudgedObjects: objects
      .filter((o) => {
        const template =
          rendered.templates.get(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`) ??
          rendered.templates.get(`${o.kind}//${o.metadata.name}`);
        return template !== undefined && rendered.unjudgeable.includes(template);
      })
      .map((o) => describeObject(objectIdOf(o))),
    warnings: rendered.warnings,
  };
}

/**
 * Helm sets a namespaced object's namespace only at install time (`helm template` leaves it out unless the chart
 * writes `.Release.Namespace`), so the renderer puts the release namespace on namespaced objects that have none.
 * A kind the cluster does not serve yet (its CRD is in the same render) is taken as namespaced.
 */
async function namespaced(cluster: ReleaseCluster, object: KubeObject): Promise<boolean> {
  try {
    return await cluster.isNamespaced(object.apiVersion, object.kind);
  } catch {
    return object.kind !== 'CustomResourceDefinition';
  }
}

async function valuesOf(
  cluster: ReleaseCluster,
  request: ReleaseRenderRequest,
): Promise<{ layers: ValuesLayer[]; sources: RenderedRelease['valuesSources']; gitValues: string }> {
  const layers: ValuesLayer[] = [];
  const sources: RenderedRelease['valuesSources'] = [];
  const root = realpathSync(request.repoRoot);
  for (const file of request.source.valuesFiles) {
    const path = resolve(request.dir, file);
    const rel = relative(root, existsSync(path) ? realpathSync(path) : path);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new RenderError(
        file,
        undefined,
        'leaves the checkout of the config repo',
        'List values files inside the repository',
      );
    }
    if (!existsSync(path)) {
      throw new RenderError(
        file,
        undefined,
        "is not in the Sync's folder",
        'Fix spec.helm.valuesFiles (paths are relative to spec.path)',
      );
    }
    layers.push({ name: file, text: await readFile(path, 'utf8'), secret: false });
  }
  for (const ref of request.source.valuesFrom) {
    const where = `${ref.kind}/${request.sync.namespace}/${ref.name}`;
    const object = await cluster.get({
      apiVersion: 'v1',
      kind: ref.kind,
      namespace: request.sync.namespace,
      name: ref.name,
    });
    const data = object?.data as Record<string, string> | undefined;
    const raw = data?.[ref.valuesKey];
    if (object === undefined || raw === undefined) {
      if (ref.optional) continue;
      throw new RenderError(
        `spec.helm.valuesFrom`,
        undefined,
        object === undefined ? `${where} does not exist` : `${where} has no key ${ref.valuesKey}`,
        `Create it in the Sync's namespace, or mark the reference optional`,
      );
    }
    const text = ref.kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    layers.push({ name: `${where}[${ref.valuesKey}]`, text, secret: ref.kind === 'Secret' });
    sources.push({ kind: ref.kind, name: ref.name, resourceVersion: object.metadata.resourceVersion ?? '' });
  }
  const inline = Object.keys(request.source.values).length > 0 ? stringify(request.source.values) : '';
  if (inline !== '') layers.push({ name: 'spec.helm.values', text: inline, secret: false });
  const gitValues = layers
    .filter((l) => !l.secret && !l.name.startsWith('ConfigMap/'))
    .map((l) => `# ${l.name}\n${l.text}`)
    .join('\n');
  return { layers, sources, gitValues };
}

const capabilitiesCache = new WeakMap<ReleaseCluster, { at: number; value: Promise<ClusterCapabilities> }>();

/**
 * The cluster's version and served API versions (group/version and group/version/Kind), as `helm install` reads
 * them from discovery, so `.Capabilities.KubeVersion` and `.Capabilities.APIVersions.Has` in a chart answer as in a
 * real install. Cached for a minute per cluster: it takes a request per group/version.
 */
export function capabilitiesOf(cluster: ReleaseCluster, now = Date.now()): Promise<ClusterCapabilities> {
  const cached = capabilitiesCache.get(cluster);
  if (cached && now - cached.at < 60_000) return cached.value;
  const value = discover(cluster);
  capabilitiesCache.set(cluster, { at: now, value });
  value.catch(() => capabilitiesCache.delete(cluster));
  return value;
}

async function discover(cluster: ReleaseCluster): Promise<ClusterCapabilities> {
  const version = await cluster.request<{ gitVersion: string; major?: string; minor?: string }>('GET', '/version');
  const core = await cluster.request<{ versions: string[] }>('GET', '/api');
  const groups = await cluster.request<{ groups: { name: string; versions: { groupVersion: string }[] }[] }>(
    'GET',
    '/apis',
  );
  const groupVersions = [...core.versions, ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
  const apiVersions = new Set<string>();
  await Promise.all(
    groupVersions.map(async (gv) => {
      apiVersions.add(gv);
      const list = await cluster
        .request<{ resources: { name: string; kind: string }[] }>(
          'GET',
          gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`,
        )
        .catch(() => undefined);
      for (const r of list?.resources ?? []) if (!r.name.includes('/')) apiVersions.add(`${gv}/${r.kind}`);
    }),
  );
  return { kubeVersion: kubeVersionOf(version), apiVersions: [...apiVersions].sort() };
}

/**
 * The version Helm should see. `gitVersion` as a real install reads it (`v1.34.4`, `v1.31.2-eks-a737599`: Helm's
 * semverCompare handles the suffix as in a real install), unless the API server was built without version stamping
 * (`v0.0.0-master+$Format:%H$`, as a `go build` from modules is): then `major`.`minor`, which it always reports.
 */
export function kubeVersionOf(version: { gitVersion: string; major?: string; minor?: string }): string {
  const minor = (version.minor ?? '').replace(/\D+$/, ''); // GKE reports minor "34+"
  if (!version.major || !minor || version.gitVersion.startsWith(`v${version.major}.${minor}.`))
    return version.gitVersion;
  return `v${version.major}.${minor}.0`;
}
