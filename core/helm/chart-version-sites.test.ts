import { describe, expect, it } from 'vitest';
import { chartVersionSites, pushedArtifact } from './chart-version-sites';

describe('pushedArtifact', () => {
  it('tells a Helm chart push from an image push by the artifact media type ECR reports', () => {
    expect(pushedArtifact({ 'artifact-media-type': 'application/vnd.cncf.helm.config.v1+json' })).toBe('helm-chart');
    expect(pushedArtifact({ 'artifact-media-type': 'application/vnd.oci.image.config.v1+json' })).toBe('image');
    expect(pushedArtifact({})).toBe('image');
  });
});

describe('chartVersionSites', () => {
  const chart = 'oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web';
  const sync = `# the web release
apiVersion: tidemark.dev/v1alpha1
kind: Sync
metadata: { name: web, namespace: apps }
spec:
  url: https://git.example.com/config.git
  helm:
    chart:
      oci: ${chart}
      version: "1.4.2"   # bumped by Tidemark
`;
  const flux = `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: { name: web, namespace: apps }
spec:
  url: ${chart}
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

  it('finds the pinned version of that chart in a Sync, an OCIRepository and a HelmRelease, as byte ranges', () => {
    const files = new Map([
      ['apps/web/sync.yaml', sync],
      ['apps/flux.yaml', flux],
    ]);
    const sites = chartVersionSites(files, chart);
    expect(sites.map((s) => s.field)).toEqual([
      'Sync/apps/web spec.helm.chart.version',
      'OCIRepository/apps/web spec.ref.tag',
      'HelmRelease/apps/web spec.chart.spec.version',
    ]);
    for (const site of sites) expect(files.get(site.path)?.slice(...site.range)).toBe('1.4.2');
  });

  it('leaves ranges and other charts alone', () => {
    expect(chartVersionSites(new Map([['f.yaml', flux]]), `${chart}-other`)).toEqual([]);
  });
});
