import valid from 'semver/functions/valid.js';
import { isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { type ImageSite, scalarSite } from './image-site';

/**
 * Flux `HelmRepository`s of type OCI in the files, by `namespace/name` → their `oci://` URL: a HelmRelease names its
 * chart by such a repository and a chart name, so its chart's reference is only known with the repository's file.
 */
export function ociHelmRepositoriesIn(files: ReadonlyMap<string, string>): Map<string, string> {
  const repositories = new Map<string, string>();
  for (const text of files.values()) {
    if (!text.includes('HelmRepository') || !text.includes('oci')) continue;
    for (const doc of parseAllDocuments(text) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      if (doc.errors.length > 0) continue;
      const o: unknown = doc.toJS();
      const url = String(at(o, 'spec', 'url') ?? '');
      if (at(o, 'kind') !== 'HelmRepository' || !(at(o, 'spec', 'type') === 'oci' || url.startsWith('oci://')))
        continue;
      repositories.set(`${at(o, 'metadata', 'namespace') ?? ''}/${at(o, 'metadata', 'name')}`, url.replace(/\/+$/, ''));
    }
  }
  return repositories;
}

/**
 * The chart versions a push to an OCI chart repository can move, in one file: a Sync's `spec.helm.chart.version` next
 * to its `oci`, a Flux `OCIRepository`'s `spec.ref.tag` for its `url`, and a Flux `HelmRelease`'s
 * `spec.chart.spec.version` whose OCI HelmRepository and chart name make the reference. Each is an image site whose
 * name is the chart's repository (`<registry>/<path>`, as ECR names the pushed repository) and whose `tag` slot is the
 * version, so the image updater's policies, strategies and never-downgrade rule move it as they move an image tag
 * (ECR reports a chart push as an `ECR Image Action`, its tag the chart version). A range (`1.x`) is no site: the agent
 * resolves a range to the newest match at every reconcile.
 */
export function findChartSites(
  file: string,
  source: string,
  ociHelmRepositories: ReadonlyMap<string, string>,
): ImageSite[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter: lines });
  if (!Array.isArray(docs)) return [];
  const sites: ImageSite[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) return [];
    const o: unknown = doc.toJS();
    const kind = at(o, 'kind');
    const namespace = at(o, 'metadata', 'namespace') ?? '';
    const found = (chart: unknown, path: string[]) => {
      if (typeof chart !== 'string' || !chart.startsWith('oci://')) return;
      const node = doc.getIn(path, true);
      if (!isScalar(node)) return;
      const site = scalarSite(source, node, lines);
      if (!site || valid(site.text) === null) return;
      sites.push({
        file,
        kind: 'chart-version',
        name: chart.slice('oci://'.length).replace(/\/+$/, ''),
        tag: { site, offset: 0, length: site.text.length, value: site.text },
        line: site.line,
      });
    };
    if (kind === 'Sync') found(at(o, 'spec', 'helm', 'chart', 'oci'), ['spec', 'helm', 'chart', 'version']);
    if (kind === 'OCIRepository') found(at(o, 'spec', 'url'), ['spec', 'ref', 'tag']);
    const ref = at(o, 'spec', 'chart', 'spec', 'sourceRef');
    if (kind === 'HelmRelease' && at(ref, 'kind') === 'HelmRepository') {
      const url = ociHelmRepositories.get(`${at(ref, 'namespace') ?? namespace}/${at(ref, 'name')}`);
      if (url) found(`${url}/${at(o, 'spec', 'chart', 'spec', 'chart')}`, ['spec', 'chart', 'spec', 'version']);
    }
  }
  return sites;
}

/** The value at a path of plain objects, or undefined. */
function at(value: unknown, ...path: string[]): unknown {
  let node = value;
  for (const key of path)
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}
