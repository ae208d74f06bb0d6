import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { credentialsFromKubeconfig } from '../../adapters/kubernetes/kube-credentials';
import { parseHelmSource } from '../../core/helm/chart-source';
import { generatedFieldsAnnotation } from '../../core/helm/generated-fields';
import type { Inventory } from '../../core/sync/inventory';
import type { KubeObject } from '../../core/sync/kube-object';
import { syncLabel } from '../../core/sync/ownership';
import { uniqueNamespace } from '../../test/support/cluster';
import { corpusPath } from '../../test/support/corpus';
import { localEnv } from '../../test/support/local-env';
import { helmBinary } from '../render/helm-chart';
import { type SyncReleaseRequest, syncRelease } from './sync-release';

// Against the real local kube-apiserver (with kwok nodes, so Deployments become ready and Job pods complete), the real
// Helm v3.22 and the local OCI registry; the charts are the corpus's, copied into a scratch config repo per file.
const run = promisify(execFile);
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
afterAll(() => cluster.close());
const helm = helmBinary();
let repo: string;

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'sync-release-'));
  for (const chart of ['podinfo', 'ingress-nginx', 'karpenter', 'redis', 'metrics-server'])
    await cp(corpusPath('helm-charts', chart), join(repo, 'charts', chart), { recursive: true });
});

/** A Sync of a chart across reconciles: it keeps the inventory and release status, as the agent does in status. */
function releaseSync(namespace: string, helmSpec: object, extra: Partial<SyncReleaseRequest> = {}) {
  const sync = { namespace, name: 'web' };
  let previous: Inventory | undefined;
  let previousRelease: { revision: string } | undefined;
  let spec = helmSpec;
  return {
    sync,
    respec(next: object) {
      spec = next;
    },
    async reconcile() {
      const parsed = parseHelmSource(spec);
      if (!parsed.ok) throw new Error(parsed.message);
      const result = await syncRelease(cluster, {
        sync,
        dir: repo,
        repoRoot: repo,
        revision: 'test',
        helm: parsed.source,
        previous,
        previousRelease,
        prune: true,
        maxPruneShare: 1,
        lookupAs: credentialsFromKubeconfig(process.env.KUBECONFIG),
        chartCache: join(repo, '.charts'),
        ...extra,
      });
      if ('inventory' in result.outcome && result.outcome.inventory) previous = result.outcome.inventory;
      if (result.release?.revision) previousRelease = result.release;
      return result;
    },
  };
}

const get = (apiVersion: string, kind: string, namespace: string | undefined, name: string) =>
  cluster.get({ apiVersion, kind, namespace, name });

describe('syncRelease: a Helm chart on the real API server', () => {
  it('installs podinfo from Git as exactly the objects helm template renders for the same inputs', async () => {
    const ns = await uniqueNamespace('helm-podinfo');
    const web = releaseSync(ns, { chart: { path: 'charts/podinfo' }, values: { replicaCount: 2 } });
    const result = await web.reconcile();
    expect(result.outcome.kind).toMatch(/applied|progressing/);
    expect(result.release).toMatchObject({ name: 'web', namespace: ns, chart: 'podinfo', version: '6.14.1' });

    const { stdout } = await run(helm, [
      'template',
      'web',
      join(repo, 'charts/podinfo'),
      '-n',
      ns,
      '--skip-tests',
      '--set',
      'replicaCount=2',
    ]);
    const expected = parseAllDocuments(stdout, { version: '1.1' })
      .map((d) => d.toJS() as KubeObject)
      .filter(Boolean);
    // What Tidemark applied is Helm's render in the release namespace, with Tidemark's ownership labels (which replace
    // the chart's `app.kubernetes.io/managed-by: Helm`), and nothing else.
    const owned = (o: KubeObject): KubeObject => ({
      ...o,
      metadata: {
        ...o.metadata,
        namespace: ns,
        labels: { ...o.metadata.labels, 'app.kubernetes.io/managed-by': 'tidemark', [syncLabel]: `${ns}.web` },
      },
    });
    expect(result.desired).toEqual(expected.map(owned));
    const live = await get('apps/v1', 'Deployment', ns, 'web-podinfo');
    expect(live?.spec).toMatchObject({ replicas: 2 });
    expect(live?.metadata.labels?.[syncLabel]).toBe(`${ns}.web`);

    // Steady state: the same inputs again change nothing.
    const again = await web.reconcile();
    expect('changeSet' in again.outcome && again.outcome.changeSet.count('configured')).toBe(0);
    expect('changeSet' in again.outcome && again.outcome.changeSet.count('created')).toBe(0);
  });

  it('prunes the object of a template that no longer renders, and takes values from a Secret without showing them', async () => {
    const ns = await uniqueNamespace('helm-values');
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-values', namespace: ns },
      stringData: { 'values.yaml': 'replicaCount: 3\nserviceAccount:\n  enabled: true\n' },
    });
    const web = releaseSync(ns, {
      chart: { path: 'charts/podinfo' },
      valuesFrom: [{ kind: 'Secret', name: 'web-values' }],
    });
    await web.reconcile();
    expect((await get('apps/v1', 'Deployment', ns, 'web-podinfo'))?.spec).toMatchObject({ replicas: 3 });
    expect(await get('v1', 'ServiceAccount', ns, 'web-podinfo')).toBeDefined();

    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-values', namespace: ns },
      stringData: { 'values.yaml': 'replicaCount: 1\n' },
    });
    const changed = await web.reconcile();
    expect(
      'changeSet' in changed.outcome && changed.outcome.changeSet.actionFor(`ServiceAccount/${ns}/web-podinfo`),
    ).toBe('deleted');
    expect(await get('v1', 'ServiceAccount', ns, 'web-podinfo')).toBeUndefined();
    expect((await get('apps/v1', 'Deployment', ns, 'web-podinfo'))?.spec).toMatchObject({ replicas: 1 });
  });

  it('runs pre-install hooks before the release and post-install after it, then upgrade hooks only when the render changes', async () => {
    const ns = await uniqueNamespace('helm-hooks');
    const spec = {
      chart: { path: 'charts/ingress-nginx' },
      values: { controller: { admissionWebhooks: { patch: { enabled: true } } } },
    };
    const web = releaseSync(ns, spec);
    const first = await web.reconcile();
    expect(first.outcome.kind).toMatch(/applied|progressing/);
    const hooks = first.release?.hooks ?? [];
    const createJob = hooks.findIndex((h) => h.startsWith('Job/') && h.includes('job-createSecret.yaml'));
    const patchJob = hooks.findIndex((h) => h.startsWith('Job/') && h.includes('job-patchWebhook.yaml'));
    expect(createJob).toBeGreaterThanOrEqual(0);
    expect(patchJob).toBeGreaterThan(createJob);
    expect(hooks.slice(0, createJob).some((h) => h.startsWith('ServiceAccount/'))).toBe(true);
    // hook-delete-policy hook-succeeded: the completed Jobs are gone, and hooks are never in the inventory.
    expect(await get('batch/v1', 'Job', ns, 'web-ingress-nginx-admission-create')).toBeUndefined();
    expect(JSON.stringify(first.outcome)).not.toContain('admission-create');

    const steady = await web.reconcile();
    expect(steady.release?.hooks).toEqual([]);

    web.respec({ ...spec, values: { ...spec.values, controller: { ...spec.values.controller, replicaCount: 2 } } });
    const upgrade = await web.reconcile();
    expect(upgrade.release?.hooks.some((h) => h.includes('job-createSecret.yaml'))).toBe(true);
  });

  it('stops with the hook name when a hook Job fails, and applies nothing of the release', async () => {
    const ns = await uniqueNamespace('helm-hookfail');
    const chart = join(repo, 'charts', 'failing-hook');
    await cp(join(repo, 'charts', 'podinfo'), chart, { recursive: true });
    // A pre-install Job whose Pod cannot be created (its ServiceAccount does not exist) fails at its deadline.
    await writeFile(
      join(chart, 'templates', 'zz-failing-hook.yaml'),
      'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install\nspec:\n  activeDeadlineSeconds: 2\n  backoffLimit: 0\n  template:\n    spec:\n      serviceAccountName: missing\n      restartPolicy: Never\n      containers: [{ name: m, image: busybox }]\n',
    );
    const web = releaseSync(ns, { chart: { path: 'charts/failing-hook' } });
    const result = await web.reconcile();
    expect(result.outcome.kind).toBe('apply-failed');
    expect('message' in result.outcome && result.outcome.message).toContain(
      `hook Job/${ns}/migrate (podinfo/templates/zz-failing-hook.yaml) failed: DeadlineExceeded`,
    );
    expect(await get('apps/v1', 'Deployment', ns, 'web-podinfo')).toBeUndefined();
  });

  it('applies crds/ before the release, updates a changed CRD, and never prunes one', async () => {
    const ns = await uniqueNamespace('helm-crds');
    const chart = join(repo, 'charts', 'karpenter-copy');
    await cp(join(repo, 'charts', 'karpenter'), chart, { recursive: true });
    const web = releaseSync(ns, {
      chart: { path: 'charts/karpenter-copy' },
      values: { settings: { clusterName: 'dev' } },
    });
    const first = await web.reconcile();
    expect(first.outcome.kind).toMatch(/applied|progressing/);
    const crd = await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'nodepools.karpenter.sh');
    expect(crd).toBeDefined();

    const file = join(chart, 'crds', 'karpenter.sh_nodepools.yaml');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(
        'controller-gen.kubebuilder.io/version:',
        'tidemark.dev/test: updated\n    controller-gen.kubebuilder.io/version:',
      ),
    );
    await web.reconcile();
    expect(
      (await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'nodepools.karpenter.sh'))?.metadata
        .annotations?.['tidemark.dev/test'],
    ).toBe('updated');

    await writeFile(file, '');
    const pruned = await web.reconcile();
    expect(
      'changeSet' in pruned.outcome &&
        pruned.outcome.changeSet.actionFor('CustomResourceDefinition/nodepools.karpenter.sh'),
    ).toBe('skipped');
    expect(
      await get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'nodepools.karpenter.sh'),
    ).toBeDefined();
  });

  it("stalls with Helm's message on a missing required value, and deletes nothing that was applied", async () => {
    const ns = await uniqueNamespace('helm-broken');
    const web = releaseSync(ns, { chart: { path: 'charts/karpenter' }, values: { settings: { clusterName: 'dev' } } });
    await web.reconcile();
    web.respec({ chart: { path: 'charts/karpenter' } });
    const broken = await web.reconcile();
    expect(broken.outcome.kind).toBe('render-failed');
    expect('message' in broken.outcome && broken.outcome.message).toMatch(
      /ChartValuesRequired: execution error at \(karpenter\/templates\/.*clusterName/,
    );
    expect(await get('apps/v1', 'Deployment', ns, 'web-karpenter')).toBeDefined();
  });

  it("keeps redis's generated password across upgrades: lookup reads the live Secret as the agent", async () => {
    const ns = await uniqueNamespace('helm-redis');
    const web = releaseSync(ns, { chart: { path: 'charts/redis' }, values: { architecture: 'standalone' } });
    const first = await web.reconcile();
    expect(first.outcome.kind).toMatch(/applied|progressing/);
    const password = ((await get('v1', 'Secret', ns, 'web-redis'))?.data as Record<string, string> | undefined)?.[
      'redis-password'
    ];
    expect(password).toBeTruthy();
    // The second reconcile is an upgrade: bitnami's chart refuses one that cannot look up the current password.
    const again = await web.reconcile();
    expect(again.outcome.kind).toMatch(/applied|progressing/);
    expect(
      ((await get('v1', 'Secret', ns, 'web-redis'))?.data as Record<string, string> | undefined)?.['redis-password'],
    ).toBe(password);
    expect('changeSet' in again.outcome && again.outcome.changeSet.actionFor(`Secret/${ns}/web-redis`)).toBe(
      'unchanged',
    );
    expect(first.release?.unjudgeable).toEqual([]);
  });

  it('creates a value generated without lookup once, keeps it, and marks it for the drift scanner', async () => {
    const ns = await uniqueNamespace('helm-random');
    const chart = join(repo, 'charts', 'random-token');
    await cp(join(repo, 'charts', 'podinfo'), chart, { recursive: true });
    await writeFile(
      join(chart, 'templates', 'zz-token.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\ndata:\n  token: {{ randAlphaNum 24 | b64enc }}\n  fixed: {{ "same" | b64enc }}\n',
    );
    const web = releaseSync(ns, { chart: { path: 'charts/random-token' } });
    await web.reconcile();
    const created = await get('v1', 'Secret', ns, 'token');
    expect(created?.metadata.annotations?.[generatedFieldsAnnotation]).toBe('["/data/token"]');
    const again = await web.reconcile();
    expect((await get('v1', 'Secret', ns, 'token'))?.data).toEqual(created?.data);
    expect('changeSet' in again.outcome && again.outcome.changeSet.actionFor(`Secret/${ns}/token`)).toBe('unchanged');
  });

  it('pulls a chart from the OCI registry with basic auth, and stalls on wrong credentials', async () => {
    const { registry } = localEnv();
    const packaged = await mkdtemp(join(tmpdir(), 'chart-'));
    await run(helm, ['package', join(repo, 'charts/podinfo'), '-d', packaged]);
    const home = { ...process.env, HELM_REGISTRY_CONFIG: join(packaged, 'registry.json') };
    await run(
      helm,
      ['registry', 'login', registry.host, '-u', registry.username, '--password', registry.password, '--plain-http'],
      { env: home },
    );
    await run(helm, ['push', join(packaged, 'podinfo-6.14.1.tgz'), `oci://${registry.host}/charts`, '--plain-http'], {
      env: home,
    });

    const ns = await uniqueNamespace('helm-oci');
    const chart = { oci: `oci://${registry.host}/charts/podinfo`, version: '6.14.x' };
    const credentials = { username: registry.username, password: registry.password };
    const web = releaseSync(ns, { chart }, { chartCredentials: credentials });
    const result = await web.reconcile();
    expect(result.release).toMatchObject({ chart: 'podinfo', version: '6.14.1' });
    expect(await get('apps/v1', 'Deployment', ns, 'web-podinfo')).toBeDefined();

    const denied = releaseSync(
      ns,
      { chart: { ...chart, version: '6.14.1' } },
      {
        chartCredentials: { username: registry.username, password: 'wrong-password' },
        chartCache: join(repo, '.charts-denied'),
      },
    );
    const outcome = (await denied.reconcile()).outcome;
    expect(outcome.kind).toBe('render-failed');
    expect('message' in outcome && outcome.message).toContain('ChartAuthFailed');
    expect('message' in outcome && outcome.message).not.toContain('wrong-password');
  });
});
