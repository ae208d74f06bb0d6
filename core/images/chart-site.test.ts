import { describe, expect, it } from 'vitest';
import { findChartSites, ociHelmRepositoriesIn } from './chart-site';
import { parseImagePolicies } from './image-policy';
import { planImageUpdate } from './plan-image-update';

const CHART = '123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web';
const sync = `# the web release
apiVersion: tidemark.dev/v1alpha1
kind: Sync
metadata: { name: web, namespace: apps }
spec:
  url: https://git.example.com/config.git
  helm:
    chart:
      oci: oci://${CHART}
      version: "1.4.2"   # bumped by Tidemark
`;
const flux = `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: { name: web, namespace: apps }
spec:
  url: oci://${CHART}
  ref:
    tag: 1.4.2
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: { name: ecr, namespace: apps }
spec: { type: oci, url: "oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/charts" }
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: web, namespace: apps }
spec:
  chart:
    spec: { chart: web, version: 1.4.2, sourceRef: { kind: HelmRepository, name: ecr } }
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: follows, namespace: apps }
spec:
  chart:
    spec: { chart: web, version: 1.x, sourceRef: { kind: HelmRepository, name: ecr } }
`;
const files = new Map([
  ['clusters/dev/web/sync.yaml', sync],
  ['clusters/dev/flux.yaml', flux],
]);

describe('findChartSites', () => {
  it('finds the pinned version of a chart in a Sync, an OCIRepository and a HelmRelease, named by its repository', () => {
    const repositories = ociHelmRepositoriesIn(files);
    const sites = [...files].flatMap(([file, text]) => findChartSites(file, text, repositories));
    expect(sites.map((s) => [s.file, s.line, s.name, s.tag?.value])).toEqual([
      ['clusters/dev/web/sync.yaml', 10, CHART, '1.4.2'],
      ['clusters/dev/flux.yaml', 7, CHART, '1.4.2'],
      ['clusters/dev/flux.yaml', 19, CHART, '1.4.2'],
    ]);
    for (const site of sites)
      expect(files.get(site.file)?.slice(site.tag!.site.start, site.tag!.site.end)).toBe('1.4.2');
  });

  it('leaves ranges, charts in Git and files that are not YAML alone', () => {
    expect(findChartSites('f.yaml', flux.split('---')[3] as string, ociHelmRepositoriesIn(files))).toEqual([]);
    expect(
      findChartSites('g.yaml', 'kind: Sync\nspec:\n  helm:\n    chart: { path: charts/web }\n', new Map()),
    ).toEqual([]);
    expect(findChartSites('h.yaml', 'kind: Sync\n  : [', new Map())).toEqual([]);
  });
});

describe('planImageUpdate with a chart pushed to ECR', () => {
  const policies = parseImagePolicies(`policies:
  - name: web-chart
    repository: ${CHART}
    strategy: { semver: "^1.4.0" }
    update: { paths: [clusters/dev] }
    writeBack: { push: { branch: main } }
`);

  it('bumps every pinned version of the chart, touching only the version characters', () => {
    const plan = planImageUpdate({ repository: CHART, tag: '1.5.0' }, policies, files, { defaultBranch: 'main' });
    const [group] = plan.groups;
    expect(group?.updates[0]?.changes.map((c) => [c.file, c.line, c.from, c.to])).toEqual([
      ['clusters/dev/flux.yaml', 7, '1.4.2', '1.5.0'],
      ['clusters/dev/flux.yaml', 19, '1.4.2', '1.5.0'],
      ['clusters/dev/web/sync.yaml', 10, '1.4.2', '1.5.0'],
    ]);
    expect(group?.files.get('clusters/dev/web/sync.yaml')).toBe(sync.replace('"1.4.2"', '"1.5.0"'));
    expect(group?.files.get('clusters/dev/flux.yaml')).toBe(
      flux.replace('tag: 1.4.2', 'tag: 1.5.0').replace('version: 1.4.2', 'version: 1.5.0'),
    );
  });

  it('never moves a chart back, nor outside the range', () => {
    const older = planImageUpdate({ repository: CHART, tag: '1.4.1' }, policies, files, { defaultBranch: 'main' });
    expect(older.groups).toEqual([]);
    expect(older.skipped[0]?.reason).toMatch(/already holds 1\.4\.2, not older than 1\.4\.1/);
    const major = planImageUpdate({ repository: CHART, tag: '2.0.0' }, policies, files, { defaultBranch: 'main' });
    expect(major.groups).toEqual([]);
  });
});
