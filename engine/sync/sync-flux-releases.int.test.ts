import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { credentialsFromKubeconfig } from '../../adapters/kubernetes/kube-credentials';
import { parseChartMirrors } from '../../core/helm/chart-mirrors';
import type { HelmReleaseStatus } from '../../core/helm/release-status';
import type { Inventory } from '../../core/sync/inventory';
import { type ChartRepository, startChartRepository } from '../../test/support/chart-repository';
import { uniqueNamespace } from '../../test/support/cluster';
import { corpusPath } from '../../test/support/corpus';
import { ChartCredentialsSource } from '../render/chart-credentials';
import { syncFluxReleases } from './sync-flux-releases';

// fluxcd/flux2-kustomize-helm-example's apps/staging, copied unchanged from the corpus, released by Tidemark on the
// real API server with the real Helm. Its HelmRepository names https://stefanprodan.github.io/podinfo, which this
// machine cannot reach: the agent's chart mirror (TIDEMARK_CHART_MIRRORS) sends the pull to a real chart repository
// served over HTTPS here, holding the corpus's podinfo chart. Git is not touched.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let charts: ChartRepository;
let repo: string;

beforeAll(async () => {
  charts = await startChartRepository([{ chart: 'podinfo', version: '6.14.1' }]);
  repo = await mkdtemp(join(tmpdir(), 'flux-example-'));
  await cp(corpusPath('flux2-kustomize-helm-example'), repo, { recursive: true });
  // The example's values enable an HTTPRoute: its infrastructure layer installs the Gateway API, this cluster has only
  // the route's CRD (kept open: the Gateway controller is not what is tested here).
  await cluster.apply({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: 'httproutes.gateway.networking.k8s.io',
      // *.k8s.io groups are protected; the Gateway API's own CRDs carry its approval.
      annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/2466' },
    },
    spec: {
      group: 'gateway.networking.k8s.io',
      scope: 'Namespaced',
      names: { plural: 'httproutes', singular: 'httproute', kind: 'HTTPRoute', listKind: 'HTTPRouteList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
});

afterAll(async () => {
  await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'podinfo' }).catch(() => undefined);
  await charts?.close();
  cluster.close();
});

describe('a Flux config repo moved over unchanged (spec.fluxHelmReleases)', () => {
  it("releases flux2-kustomize-helm-example's staging podinfo HelmRelease with its values, through a chart mirror", async () => {
    const ns = await uniqueNamespace('flux-releases');
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mirror', namespace: ns },
      stringData: { username: charts.username, password: charts.password, 'ca.crt': charts.ca },
    });
    const mirrors = parseChartMirrors(
      `- from: https://stefanprodan.github.io/podinfo\n  to: ${charts.url}\n  secretRef: { namespace: ${ns}, name: mirror }\n`,
    );
    const source = new ChartCredentialsSource(cluster);
    let previous: Inventory | undefined;
    let previousReleases: HelmReleaseStatus[] | undefined;
    const reconcile = async () => {
      const result = await syncFluxReleases(cluster, {
        sync: { namespace: ns, name: 'apps' },
        dir: join(repo, 'apps/staging'),
        repoRoot: repo,
        revision: 'test',
        previous,
        previousReleases,
        prune: true,
        maxPruneShare: 1,
        mirrors,
        chartCredentials: (chart, namespace) => source.for(chart, namespace),
        lookupAs: credentialsFromKubeconfig(process.env.KUBECONFIG),
        chartCache: join(repo, '.charts'),
      });
      if ('inventory' in result.outcome && result.outcome.inventory) previous = result.outcome.inventory;
      previousReleases = result.releases;
      return result;
    };

    const first = await reconcile();
    expect(first.outcome.kind).toMatch(/applied|progressing/);
    expect(first.releases).toEqual([
      expect.objectContaining({
        origin: 'HelmRelease/podinfo/podinfo',
        name: 'podinfo',
        namespace: 'podinfo',
        chart: 'podinfo',
        version: '6.14.1',
      }),
    ]);
    // The chart came from the mirror, as `helm pull` fetched it.
    expect(charts.requests).toEqual(expect.arrayContaining(['/index.yaml', '/podinfo-6.14.1.tgz']));
    // The base's values (redis on) and the staging patch's hostname both reached the release.
    const route = await cluster.get({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      namespace: 'podinfo',
      name: 'podinfo',
    });
    expect((route?.spec as { hostnames?: string[] } | undefined)?.hostnames).toEqual(['podinfo.staging']);
    expect(
      await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'podinfo', name: 'podinfo-redis' }),
    ).toBeDefined();
    // The Flux objects themselves are not applied: no Flux CRDs here, and nothing would act on them.
    const kinds = first.desired.map((o) => o.kind);
    expect(kinds).toContain('Namespace');
    expect(kinds).not.toContain('HelmRelease');
    expect(kinds).not.toContain('HelmRepository');

    const again = await reconcile();
    expect('changeSet' in again.outcome && again.outcome.changeSet.count('configured')).toBe(0);
    expect('changeSet' in again.outcome && again.outcome.changeSet.count('created')).toBe(0);
  });

  it('stops naming the HelmRelease and what it uses that Tidemark does not support, and applies nothing', async () => {
    const ns = await uniqueNamespace('flux-unsupported');
    const release = join(repo, 'apps/base/podinfo/release.yaml');
    const original = await readFile(release, 'utf8');
    await writeFile(release, `${original}  postRenderers:\n    - kustomize:\n        patches: []\n`);
    try {
      const result = await syncFluxReleases(cluster, {
        sync: { namespace: ns, name: 'apps' },
        dir: join(repo, 'apps/staging'),
        repoRoot: repo,
        revision: 'test',
        prune: true,
        maxPruneShare: 1,
        chartCredentials: async () => undefined,
      });
      expect(result.outcome).toMatchObject({
        kind: 'render-failed',
        message: expect.stringMatching(/^HelmRelease\/podinfo\/podinfo: postRenderers are not supported/),
      });
      expect(result.desired).toEqual([]);
    } finally {
      await writeFile(release, original);
    }
  });
});
