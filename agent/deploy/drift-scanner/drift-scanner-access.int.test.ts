import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../../adapters/kubernetes/cluster-client';
import type { KubeApiError } from '../../../adapters/kubernetes/kube-api-error';
import { credentialsFromKubeconfig } from '../../../adapters/kubernetes/kube-credentials';
import type { KubeObject } from '../../../core/sync/kube-object';
import { selectorFor, withOwnership } from '../../../core/sync/ownership';
import { scanDrift } from '../../../engine/drift/scan-drift';
import { renderFolder } from '../../../engine/render/render-folder';
import { installSyncCrd } from '../../../test/support/agent';
import { uniqueNamespace } from '../../../test/support/cluster';
import { localEnv } from '../../../test/support/local-env';

// agent/deploy/drift-scanner on the real local API server (RBAC on, the ValidatingAdmissionPolicy plugin on by
// default). The scanner is played by impersonation from the admin kubeconfig: the same user and groups an EKS access
// entry would give its IAM role. The folder stays installed afterwards: its objects are cluster-wide, another run of
// this file may be using them, and they affect only members of a group nobody else uses.

const group = 'tidemark:drift-scanner';
const policyMessage = 'members of tidemark:drift-scanner may only dry-run';

/** A client that acts as `user`, in `groups` (plus system:authenticated, which the API server adds). */
function actingAs(user: string, groups: string[]): ClusterClient {
  const admin = credentialsFromKubeconfig(localEnv().kube.kubeconfigPath);
  return new ClusterClient({
    ...admin,
    headers: async () => ({
      ...(await admin.headers()),
      'Impersonate-User': user,
      // One group per test identity is all these tests need (Node would send an array as repeated headers).
      ...(groups[0] ? { 'Impersonate-Group': groups[0] } : {}),
    }),
  });
}

function deployment(ns: string, replicas: number, image = 'registry.example.com/web:1.0.0'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

const configMap = (ns: string, name: string, value: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { value },
});

const bindingRef = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  name: 'tidemark-drift-scanner-dry-run-only',
};

let admin: ClusterClient;
// The scanner, and a user who may edit the test namespace: once in the scanner's group, once not.
let scanner: ClusterClient;
let editorInGroup: ClusterClient;
let editor: ClusterClient;
const clusterRoleName = `tidemark-test-wide-${Math.random().toString(36).slice(2, 8)}`;

afterAll(async () => {
  await admin.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: clusterRoleName });
  for (const client of [admin, scanner, editorInGroup, editor]) client.close();
});

describe('agent/deploy/drift-scanner: the group tidemark:drift-scanner can dry-run but never write', () => {
  let ns: string;
  const sync = () => ({ namespace: ns, name: 'scanned' });

  const scanInput = (desired: KubeObject) => ({
    cluster: 'local',
    desired: [withOwnership(desired, sync())],
    labelSelector: selectorFor(sync()),
    rules: [],
    previous: new Map(),
    digestKey: 'test',
    now: new Date(),
  });

  beforeAll(async () => {
    admin = ClusterClient.fromKubeconfig(localEnv().kube.kubeconfigPath);
    scanner = actingAs('drift-scanner', [group]);
    editorInGroup = actingAs('editor-in-group', [group]);
    editor = actingAs('editor', []);
    // The scanner lists Syncs; on a fresh cluster nothing else may have installed their CRD yet.
    await installSyncCrd(admin);
    for (const object of await renderFolder(dirname(fileURLToPath(import.meta.url)))) {
      await admin.apply(object, { manager: 'tidemark-tests' });
    }
    ns = await uniqueNamespace('drift-access');
    await admin.apply(withOwnership(deployment(ns, 2), sync()));
    await admin.apply(configMap(ns, 'probe', 'a'), { manager: 'tidemark-tests' });
    await admin.apply(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'editors', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'editor-in-group' },
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'editor' },
        ],
      },
      { manager: 'tidemark-tests' },
    );
    // The API server loads a new policy asynchronously (seconds): until it is in force, the group's real writes pass.
    // Probe with one until it is denied; the probe writes only this test's ConfigMap.
    for (let attempt = 0; ; attempt++) {
      const error = await scanner.apply(configMap(ns, 'probe', `b${attempt}`)).then(
        () => undefined,
        (e: KubeApiError) => e,
      );
      // 403 too: a policy updated by this apply is in force once its new version answers (an older one said 422).
      if (error?.code === 403 && error.message.includes(policyMessage)) break;
      if (error && error.code !== 403) throw error;
      if (attempt >= 60) throw new Error(`the dry-run-only policy was not in force after 60 s (last: ${error})`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  it('dry-runs a server-side apply of a Deployment change and gets the object as it would be', async () => {
    const wouldBe = await scanner.apply(withOwnership(deployment(ns, 4, 'registry.example.com/web:2.0.0'), sync()), {
      dryRun: true,
    });
    expect(wouldBe.spec).toMatchObject({
      replicas: 4,
      template: { spec: { containers: [{ name: 'web', image: 'registry.example.com/web:2.0.0' }] } },
    });
    // Defaults the API server fills in on the way: the answer is the stored form, not an echo of the request.
    expect(wouldBe.spec).toMatchObject({ strategy: { type: 'RollingUpdate' } });
    const live = await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    expect(live?.spec).toMatchObject({ replicas: 2 });
  });

  it('is denied the same apply without dryRun, with the policy saying why', async () => {
    const write = scanner.apply(withOwnership(deployment(ns, 4), sync()));
    await expect(write).rejects.toMatchObject({ code: 403, reason: 'Forbidden' });
    await expect(write).rejects.toThrow(
      /may only dry-run \(this was a real UPDATE of deployments\).*Send the request with dryRun=All/,
    );
    const live = await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    expect(live?.spec).toMatchObject({ replicas: 2 });
  });

  it('denies a member of the group a delete and a create even where RBAC allows them, but not their dry-runs', async () => {
    // `edit` in this namespace lets editor-in-group delete and create; the policy still says no.
    const path = await admin.pathFor({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'probe' });
    const deletion = editorInGroup.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1' } });
    await expect(deletion).rejects.toMatchObject({ code: 403 });
    await expect(deletion).rejects.toThrow(/real DELETE of configmaps/);
    await expect(editorInGroup.create(configMap(ns, 'new', 'x'))).rejects.toThrow(/real CREATE of configmaps/);

    // A DELETE with a body takes its options from the body alone, so dryRun goes there.
    await editorInGroup.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] } });
    expect(await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'probe' })).toBeDefined();
  });

  it('denies the scanner itself a delete (it has no such right at all)', async () => {
    await expect(
      scanner.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'probe' }),
    ).rejects.toMatchObject({ code: 403 });
  });

  it('lets the group GET and LIST, Secrets and custom resources included', async () => {
    expect(await scanner.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' })).toMatchObject({
      metadata: { name: 'web' },
    });
    const listed = await scanner.list('apps/v1', 'Deployment', { labelSelector: selectorFor(sync()) });
    expect(listed.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual([`${ns}/web`]);
    await expect(scanner.list('v1', 'Secret', { namespace: ns })).resolves.toBeInstanceOf(Array);
    await expect(scanner.list('tidemark.dev/v1alpha1', 'Sync', {})).resolves.toBeInstanceOf(Array);
  });

  it('leaves a user outside the group alone: the same edit rights write as usual', async () => {
    const written = await editor.apply(configMap(ns, 'by-editor', 'x'), { manager: 'editor' });
    expect(written.metadata.uid).toBeDefined();
    await editor.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'by-editor' });
  });

  it('cannot switch its own guard off: admission policies do not apply to policy objects, so RBAC withholds them', async () => {
    for (const dryRun of [false, true]) {
      const query = dryRun ? '?dryRun=All' : '';
      const path = (await scanner.pathFor(bindingRef)) + query;
      await expect(
        scanner.request('PATCH', path, {
          body: { spec: { validationActions: ['Audit'] } },
          contentType: 'application/merge-patch+json',
        }),
      ).rejects.toMatchObject({ code: 403 });
    }
    expect((await admin.get(bindingRef))?.spec).toMatchObject({ validationActions: ['Deny'] });
  });

  it('dry-runs a ClusterRole in Git that grants more than the group holds', async () => {
    const role = (verbs: string[]): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterRoleName },
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs }],
    });
    await admin.apply(role(['get']), { manager: 'tidemark-tests' });
    const wouldBe = await scanner.apply(role(['*']), { dryRun: true });
    expect(wouldBe.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }]);
    await expect(scanner.apply(role(['*']))).rejects.toThrow(policyMessage);
  });

  it('is what a view-only identity lacks: its scan fails naming this folder and the group', async () => {
    // As an EKS access entry with the view policy and no group: `view` cluster-wide, bound to a group of the test's.
    const viewers = `tidemark-test:viewers-${ns}`;
    await admin.apply(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${ns}-viewers` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: viewers }],
      },
      { manager: 'tidemark-tests' },
    );
    const viewer = actingAs('drift-viewer', [viewers]);
    try {
      // A changed object, so the scan needs the oracle.
      const scan = scanDrift(scanInput(deployment(ns, 3)), viewer);
      await expect(scan).rejects.toMatchObject({ name: 'DryRunForbiddenError' });
      await expect(scan).rejects.toThrow(
        "apply agent/deploy/drift-scanner and map the scanner's role to the group tidemark:drift-scanner",
      );
    } finally {
      viewer.close();
      await admin.delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        name: `${ns}-viewers`,
      });
    }
  });

  it('is enough for the drift scan: the dry-run oracle finds a kubectl scale', async () => {
    execFileSync('kubectl', ['-n', ns, 'scale', 'deployment/web', '--replicas=5'], {
      stdio: 'pipe',
      env: { ...process.env, KUBECONFIG: localEnv().kube.kubeconfigPath },
    });
    const { report, stats } = await scanDrift(scanInput(deployment(ns, 2)), scanner);
    expect(stats.dryRuns).toBeGreaterThan(0);
    expect(report.findings).toMatchObject([
      {
        kind: 'modified',
        object: { kind: 'Deployment', namespace: ns, name: 'web' },
        fields: [{ path: 'spec.replicas', desired: 2, live: 5, writer: { manager: 'kubectl' } }],
      },
    ]);
  });
});
