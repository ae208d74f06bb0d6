import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitConfigRepo } from '../adapters/config-repo/git';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { requestedAtAnnotation } from '../core/sync/ownership';
import { syncApiVersion, syncKind } from '../core/sync/sync';
import { helmBinary } from '../engine/render/helm-chart';
import { updateImages } from '../functions/image-updater/update-images';
import { createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../test/support/agent';
import { startChartRepository } from '../test/support/chart-repository';
import { uniqueNamespace } from '../test/support/cluster';
import { createConfigRepo } from '../test/support/config-repo';
import { corpusPath } from '../test/support/corpus';
import { createGitRepo } from '../test/support/git-repo';
import { localEnv } from '../test/support/local-env';
import { type RunningAgent, startAgent } from './run-agent';

// The agent as a local process against the real API server, git server and OCI registry, releasing the corpus's
// podinfo chart: from a folder of the config repo, and from the registry with basic auth.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const run = promisify(execFile);
let agent: RunningAgent;
let ns: string;

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('agent-helm');
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: ns,
  });
});

afterAll(async () => {
  await agent?.stop();
  cluster.close();
});

/** The corpus chart's files as config-repo files under `prefix`. */
function chartFiles(chart: string, prefix: string): Record<string, string> {
  const root = corpusPath('helm-charts', chart);
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[`${prefix}/${relative(root, path)}`] = readFileSync(path, 'utf8');
  }
  return files;
}

/** `helm push` of the corpus podinfo chart at `version` to `target` (an oci:// prefix) of the local registry. */
async function chartPusher(): Promise<(version: string, target: string) => Promise<void>> {
  const { registry } = localEnv();
  const helm = helmBinary();
  const work = await mkdtemp(join(tmpdir(), 'helm-push-'));
  const env = { ...process.env, HELM_REGISTRY_CONFIG: join(work, 'registry.json') };
  await run(
    helm,
    ['registry', 'login', registry.host, '-u', registry.username, '--password', registry.password, '--plain-http'],
    { env },
  );
  return async (version, target) => {
    const chart = join(work, `podinfo-${version}`);
    await cp(corpusPath('helm-charts', 'podinfo'), chart, { recursive: true });
    const file = join(chart, 'Chart.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/^version: .*$/m, `version: ${version}`));
    await run(helm, ['package', chart, '-d', work], { env });
    await run(helm, ['push', join(work, `podinfo-${version}.tgz`), target, '--plain-http'], { env });
  };
}

const deployment = (name: string) => cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name });
const reconcileNow = (name: string) =>
  cluster.mergePatch(
    { apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name },
    { metadata: { annotations: { [requestedAtAnnotation]: new Date().toISOString() } } },
  );

describe('the agent with a Helm chart', () => {
  it('releases a chart from the config repo with values from Git and a Secret, and shows chart and version in status', async () => {
    const repo = await createGitRepo('agent-helm', {
      ...chartFiles('podinfo', 'charts/podinfo'),
      'clusters/dev/web/values.yaml': 'replicaCount: 2\n',
    });
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-values', namespace: ns },
      stringData: { 'values.yaml': 'ui:\n  message: from-a-secret-s3cr3t\n' },
    });
    await createSync(cluster, ns, 'web', {
      url: repo.url,
      path: 'clusters/dev/web',
      helm: {
        chart: { path: 'charts/podinfo' },
        valuesFiles: ['values.yaml'],
        valuesFrom: [{ kind: 'Secret', name: 'web-values' }],
      },
    });
    const status = await readyAt(cluster, ns, 'web', repo.head(), 90_000);
    expect(status.helm).toMatchObject({ name: 'web', namespace: ns, chart: 'podinfo', version: '6.14.1' });
    const live = await deployment('web-podinfo');
    expect(live?.spec).toMatchObject({ replicas: 2 });
    expect(JSON.stringify(live)).toContain('from-a-secret-s3cr3t');
    // The Secret's value went into the release, and nowhere into the Sync's status.
    expect(JSON.stringify(await syncStatus(cluster, ns, 'web'))).not.toContain('s3cr3t');

    const next = repo.commit({ 'clusters/dev/web/values.yaml': 'replicaCount: 3\n' });
    await reconcileNow('web');
    await readyAt(cluster, ns, 'web', next, 90_000);
    expect((await deployment('web-podinfo'))?.spec).toMatchObject({ replicas: 3 });
  });

  it('re-renders as soon as a values ConfigMap appears or a values Secret changes, without waiting for the interval', async () => {
    const repo = await createGitRepo('agent-helm-values', chartFiles('podinfo', 'charts/podinfo'));
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'watched-values', namespace: ns },
      stringData: { 'values.yaml': 'replicaCount: 1\n' },
    });
    // An hour between reconciles and no requested-at: only the watch on the values objects can bring the changes in.
    await createSync(cluster, ns, 'watched', {
      url: repo.url,
      path: '.',
      interval: '1h',
      helm: {
        chart: { path: 'charts/podinfo' },
        valuesFrom: [
          { kind: 'Secret', name: 'watched-values' },
          { kind: 'ConfigMap', name: 'watched-overrides', optional: true },
        ],
      },
    });
    await readyAt(cluster, ns, 'watched', repo.head(), 90_000);
    expect((await deployment('watched-podinfo'))?.spec).toMatchObject({ replicas: 1 });

    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'watched-values', namespace: ns },
      stringData: { 'values.yaml': 'replicaCount: 2\n' },
    });
    const replicas = async () =>
      ((await deployment('watched-podinfo'))?.spec as { replicas?: number } | undefined)?.replicas;
    await eventually(async () => ((await replicas()) === 2 ? true : undefined), 60_000);

    // The optional ConfigMap did not exist at the first render: creating it is a change too.
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched-overrides', namespace: ns },
      data: { 'values.yaml': 'ui:\n  message: from-a-configmap\n' },
    });
    await eventually(
      async () => (JSON.stringify(await deployment('watched-podinfo')).includes('from-a-configmap') ? true : undefined),
      60_000,
    );
    expect((await deployment('watched-podinfo'))?.spec).toMatchObject({ replicas: 2 });
  });

  it('releases the HelmReleases of a Flux folder (spec.fluxHelmReleases) and lists them in status', async () => {
    const charts = await startChartRepository([{ chart: 'podinfo', version: '6.14.1' }]);
    try {
      await cluster.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'podinfo-charts', namespace: ns },
        stringData: { username: charts.username, password: charts.password, 'ca.crt': charts.ca },
      });
      const repo = await createGitRepo('agent-helm-flux', {
        'apps/podinfo.yaml': [
          'apiVersion: source.toolkit.fluxcd.io/v1',
          'kind: HelmRepository',
          `metadata: { name: podinfo, namespace: ${ns} }`,
          'spec:',
          `  url: ${charts.url}`,
          '  secretRef: { name: podinfo-charts }',
          '---',
          'apiVersion: helm.toolkit.fluxcd.io/v2',
          'kind: HelmRelease',
          `metadata: { name: frontend, namespace: ${ns} }`,
          'spec:',
          '  chart:',
          '    spec: { chart: podinfo, version: 6.x, sourceRef: { kind: HelmRepository, name: podinfo } }',
          '  values: { replicaCount: 2 }',
          '',
        ].join('\n'),
      });
      await createSync(cluster, ns, 'flux', { url: repo.url, path: 'apps', fluxHelmReleases: true });
      const status = await readyAt(cluster, ns, 'flux', repo.head(), 90_000);
      expect(status.helmReleases).toEqual([
        expect.objectContaining({
          origin: `HelmRelease/${ns}/frontend`,
          name: 'frontend',
          chart: 'podinfo',
          version: '6.14.1',
        }),
      ]);
      expect((await deployment('frontend-podinfo'))?.spec).toMatchObject({ replicas: 2 });
    } finally {
      await charts.close();
    }
  });

  it('moves to a chart version pushed to the registry: the image updater commits the new version, the agent applies it', async () => {
    const { registry } = localEnv();
    const chart = `${registry.host}/pushed-${ns}/podinfo`;
    const push = await chartPusher();
    await push('8.0.0', `oci://${registry.host}/pushed-${ns}`);
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pushed-registry', namespace: ns },
      stringData: { username: registry.username, password: registry.password },
    });
    const remote = await createConfigRepo('agent-helm-pushed', {
      '.tidemark/images.yaml': [
        'policies:',
        '  - name: podinfo-chart',
        `    repository: ${chart}`,
        '    strategy: { semver: "^8.0.0" }',
        '    update: { paths: [apps] }',
        '    writeBack: { push: { branch: main } }',
        '',
      ].join('\n'),
      'apps/podinfo.yaml': [
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: OCIRepository',
        `metadata: { name: podinfo, namespace: ${ns} }`,
        'spec:',
        `  url: oci://${chart}`,
        '  ref:',
        '    tag: 8.0.0 # moved by the image updater',
        '  secretRef: { name: pushed-registry }',
        '---',
        'apiVersion: helm.toolkit.fluxcd.io/v2',
        'kind: HelmRelease',
        `metadata: { name: pushed, namespace: ${ns} }`,
        'spec:',
        '  chartRef: { kind: OCIRepository, name: podinfo }',
        '',
      ].join('\n'),
    });
    await createSync(cluster, ns, 'pushed', { url: remote.url, path: 'apps', fluxHelmReleases: true });
    const status = await readyAt(cluster, ns, 'pushed', remote.head(), 90_000);
    expect(status.helmReleases?.[0]).toMatchObject({ chart: 'podinfo', version: '8.0.0' });

    await push('8.1.0', `oci://${registry.host}/pushed-${ns}`);
    // What the ECR event of a chart push becomes in the image updater (its tag is the chart version).
    const { username, password } = localEnv().git;
    const repo = await GitConfigRepo.open({
      url: remote.url,
      branch: 'main',
      credentials: { username, password },
      cacheDir: mkdtempSync(join(tmpdir(), 'agent-helm-updater-')),
    });
    const update = await updateImages([{ repository: chart, tag: '8.1.0' }], { repo });
    expect(update.writes[0]).toMatchObject({ kind: 'committed', branch: 'main' });
    expect(remote.file('apps/podinfo.yaml')).toContain('    tag: 8.1.0 # moved by the image updater\n');
    await reconcileNow('pushed');
    await eventually(
      async () => ((await syncStatus(cluster, ns, 'pushed')).helmReleases?.[0]?.version === '8.1.0' ? true : undefined),
      90_000,
    );
    expect((await deployment('pushed-podinfo'))?.metadata.labels?.['helm.sh/chart']).toBe('podinfo-8.1.0');
  });

  it('pulls an OCI chart with basic auth and follows a semver range to a newly pushed version', async () => {
    const { registry } = localEnv();
    const pushTo = await chartPusher();
    const push = (version: string) => pushTo(version, `oci://${registry.host}/agent-${ns}`);
    await push('7.0.0');
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'registry', namespace: ns },
      stringData: { username: registry.username, password: registry.password },
    });
    const repo = await createGitRepo('agent-helm-oci', { 'clusters/dev/oci/README.md': 'values live in the Sync\n' });
    await createSync(cluster, ns, 'oci', {
      url: repo.url,
      path: 'clusters/dev/oci',
      helm: {
        chart: { oci: `oci://${registry.host}/agent-${ns}/podinfo`, version: '7.x', secretRef: { name: 'registry' } },
        releaseName: 'oci',
      },
    });
    const status = await readyAt(cluster, ns, 'oci', repo.head(), 90_000);
    expect(status.helm).toMatchObject({ chart: 'podinfo', version: '7.0.0' });

    await push('7.1.0');
    await reconcileNow('oci');
    await eventually(
      async () => ((await syncStatus(cluster, ns, 'oci')).helm?.version === '7.1.0' ? true : undefined),
      90_000,
    );
    expect((await deployment('oci-podinfo'))?.metadata.labels?.['helm.sh/chart']).toBe('podinfo-7.1.0');
  });
});
