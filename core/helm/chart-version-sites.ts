import semver from 'semver';
import { type Document, isScalar, parseAllDocuments } from 'yaml';

/**
 * The event-driven half of Helm charts: ECR emits the same `ECR Image Action` event for a pushed Helm chart as for
 * an image, and tells them apart only by the artifact's config media type. The image updater (core/images, owned by
 * issue 21's planner) can then bump the chart `version:` where Git pins the pushed chart, with the same
 * byte-preserving, never-downgrade commit it makes for image tags. This file holds the two pure decisions: is this
 * push a chart, and where in the config repo is that chart's version written.
 */
export const helmChartConfigMediaType = 'application/vnd.cncf.helm.config.v1+json';

/** What an ECR push event's detail says was pushed. */
export function pushedArtifact(detail: {
  'artifact-media-type'?: string;
  'manifest-media-type'?: string;
}): 'helm-chart' | 'image' {
  return detail['artifact-media-type'] === helmChartConfigMediaType ? 'helm-chart' : 'image';
}

/** One place a chart's version is written: the scalar's byte range in the file, for a rewrite that touches only it. */
export interface ChartVersionSite {
  path: string;
  /** What the file says: `Sync/apps/web spec.helm.chart.version`. */
  field: string;
  current: string;
  /** [start, end) of the scalar's characters (quotes excluded) in the file. */
  range: [number, number];
}

/**
 * Every exact chart version pinned for `chart` (`oci://<registry>/<repository>`) in the files: a Sync's
 * `spec.helm.chart.version` next to that `oci`, a Flux `OCIRepository`'s `spec.ref.tag` for that `url`, and a Flux
 * `HelmRelease`'s `spec.chart.spec.version` whose HelmRepository (type oci) and chart name make that reference.
 * Ranges (`1.x`) are not sites: the agent resolves them to the newest match on every reconcile already.
 */
/** The value at a path of plain objects, or undefined. */
function at(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path)
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

export function chartVersionSites(files: ReadonlyMap<string, string>, chart: string): ChartVersionSite[] {
  const sites: ChartVersionSite[] = [];
  const parsed = [...files].map(([path, text]) => ({ path, text, docs: parseAllDocuments(text) }));
  const ociHelmRepositories = new Map<string, string>();
  for (const { docs } of parsed)
    for (const doc of Array.isArray(docs) ? docs : []) {
      const o: unknown = doc.toJS();
      const url = String(at(o, 'spec', 'url'));
      if (at(o, 'kind') === 'HelmRepository' && (at(o, 'spec', 'type') === 'oci' || url.startsWith('oci://')))
        ociHelmRepositories.set(
          `${at(o, 'metadata', 'namespace') ?? ''}/${at(o, 'metadata', 'name')}`,
          url.replace(/\/$/, ''),
        );
    }
  for (const { path, docs } of parsed) {
    for (const doc of Array.isArray(docs) ? docs : []) {
      const o: unknown = doc.toJS();
      const kind = at(o, 'kind');
      if (typeof kind !== 'string') continue;
      const namespace = at(o, 'metadata', 'namespace') ?? '';
      const name = `${kind}/${namespace}/${at(o, 'metadata', 'name')}`;
      if (kind === 'Sync' && at(o, 'spec', 'helm', 'chart', 'oci') === chart)
        push(sites, path, doc, ['spec', 'helm', 'chart', 'version'], `${name} spec.helm.chart.version`);
      if (kind === 'OCIRepository' && String(at(o, 'spec', 'url')).replace(/\/$/, '') === chart)
        push(sites, path, doc, ['spec', 'ref', 'tag'], `${name} spec.ref.tag`);
      const ref = at(o, 'spec', 'chart', 'spec', 'sourceRef');
      if (kind === 'HelmRelease' && at(ref, 'kind') === 'HelmRepository') {
        const url = ociHelmRepositories.get(`${at(ref, 'namespace') ?? namespace}/${at(ref, 'name')}`);
        if (url && `${url}/${at(o, 'spec', 'chart', 'spec', 'chart')}` === chart)
          push(sites, path, doc, ['spec', 'chart', 'spec', 'version'], `${name} spec.chart.spec.version`);
      }
    }
  }
  return sites;
}

function push(sites: ChartVersionSite[], path: string, doc: Document, at: string[], field: string): void {
  const node = doc.getIn(at, true);
  if (!isScalar(node) || node.range === undefined || node.range === null) return;
  const current = String(node.value);
  if (semver.valid(current) === null) return; // a range, or not a version at all: nothing to bump
  const [start, valueEnd] = node.range;
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
  sites.push({ path, field, current, range: quoted ? [start + 1, valueEnd - 1] : [start, valueEnd] });
}
