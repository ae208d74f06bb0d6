import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { syncFluxReleases } from '../../engine/sync/sync-flux-releases';
import { lambdaContext, scheduledEvent } from '../../local/invoke';
import { type ChartRepository, startChartRepository } from '../../test/support/chart-repository';
import { uniqueNamespace } from '../../test/support/cluster';
import { createGitRepo } from '../../test/support/git-repo';
import { uniqueName } from '../../test/support/local-env';

// The drift scanner on a Sync with spec.fluxHelmReleases, applied by the agent's engine: the folder's Flux HelmRelease
// is rendered by the scanner as the agent renders it (dry), so the release's objects are judged and the Flux objects,
// which the agent never applies, are not reported missing. The chart comes from a real chart repository (plain HTTP,
// anonymous: the scanner has no chart credentials).
const kubectl = (...args: string[]) => execFileSync('kubectl', args, { stdio: 'pipe' }).toString();
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let charts: ChartRepository;

describe('drift-scanner on a Sync of Flux HelmReleases', () => {
  const name = uniqueName('flux-drift');
  let ns: string;

  beforeAll(async () => {
    charts = await startChartRepository([{ chart: 'podinfo', version: '6.14.1' }], { open: true });
    kubectl('apply', '--server-side', '--force-conflicts', '-f', 'agent/deploy/base/crd.yaml');
    kubectl('wait', '--for=condition=Established', 'crd/syncs.tidemark.dev');
    spawnSync('kubectl', ['create', 'namespace', 'tidemark-system'], { stdio: 'ignore' });
    ns = await uniqueNamespace('flux-drift');
    const path = `clusters/${name}`;
    const repo = await createGitRepo('flux-drift', {
      [`${path}/podinfo.yaml`]: [
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: HelmRepository',
        `metadata: { name: podinfo, namespace: ${ns} }`,
        `spec: { url: "${charts.url}" }`,
        '---',
        'apiVersion: helm.toolkit.fluxcd.io/v2',
        'kind: HelmRelease',
        `metadata: { name: web, namespace: ${ns} }`,
        'spec:',
        '  chart: { spec: { chart: podinfo, version: 6.x, sourceRef: { kind: HelmRepository, name: podinfo } } }',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        `metadata: { name: beside-the-release, namespace: ${ns} }`,
        'data: { plain: "yaml" }',
        '',
      ].join('\n'),
    });
    process.env.TIDEMARK_CONFIG = JSON.stringify({
      configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
      clusters: [{ name, eksClusterName: 'local', region: 'us-east-1', path }],
      images: { ecrRepositories: ['web'] },
    });
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const sync = {
      apiVersion: 'tidemark.dev/v1alpha1',
      kind: 'Sync',
      metadata: { name, namespace: 'tidemark-system' },
      spec: { url: repo.url, branch: 'main', path, fluxHelmReleases: true },
    };
    execFileSync('kubectl', ['apply', '--server-side', '-f', '-'], { input: JSON.stringify(sync), stdio: 'pipe' });

    // What the agent does for this Sync, then the status it writes.
    const checkout = join(process.env.TMPDIR ?? '/tmp', `${name}-checkout`);
    execFileSync('git', [
      'clone',
      '--quiet',
      repo.url.replace(
        'http://',
        `http://${encodeURIComponent(process.env.TIDEMARK_GIT_USERNAME ?? '')}:${encodeURIComponent(process.env.TIDEMARK_GIT_PASSWORD ?? '')}@`,
      ),
      checkout,
    ]);
    const applied = await syncFluxReleases(cluster, {
      sync: { namespace: 'tidemark-system', name },
      dir: join(checkout, path),
      repoRoot: checkout,
      revision: repo.head(),
      prune: true,
      maxPruneShare: 1,
      chartCredentials: async () => undefined,
      lookupAs: cluster.credentials,
    });
    expect(applied.outcome.kind, JSON.stringify(applied.outcome)).toMatch(/applied|progressing/);
    const inventory = 'inventory' in applied.outcome ? applied.outcome.inventory : undefined;
    kubectl(
      '-n',
      'tidemark-system',
      'patch',
      'sync',
      name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { lastAppliedRevision: repo.head(), inventory, helmReleases: applied.releases } }),
    );
  });

  afterAll(async () => {
    spawnSync('kubectl', ['-n', 'tidemark-system', 'delete', 'sync', name, '--ignore-not-found'], { stdio: 'ignore' });
    await charts?.close();
    cluster.close();
  });

  it("judges the release's objects and the folder's others, and does not miss the Flux objects", async () => {
    const { handler } = await import('./handler');
    const scan = async () => {
      const { clusters } = await handler(
        scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/drift'),
        lambdaContext('drift-scanner'),
      );
      const outcome = clusters.find((c) => c.cluster === name)?.outcome;
      if (outcome?.kind !== 'scanned') throw new Error(`scan failed: ${JSON.stringify(outcome)}`);
      return outcome.report;
    };
    const clean = await scan();
    expect(clean.findings.filter((f) => f.kind !== 'sync-lagging')).toEqual([]);

    kubectl(
      '-n',
      ns,
      'patch',
      'deployment',
      'web-podinfo',
      '--type=merge',
      '--field-manager=hand-edit',
      '-p',
      JSON.stringify({ spec: { replicas: 3 } }),
    );
    const drifted = await scan();
    expect(drifted.findings.find((f) => f.kind === 'modified')).toMatchObject({
      kind: 'modified',
      object: { kind: 'Deployment', namespace: ns, name: 'web-podinfo' },
      fields: [{ path: 'spec.replicas', desired: 1, live: 3, writer: { manager: 'hand-edit' } }],
    });
  });
});
