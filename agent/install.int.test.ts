import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../core/sync/kube-object';
import { renderFolder } from '../engine/render/render-folder';
import {
  configMapYaml,
  createSync,
  eventually,
  installSyncCrd,
  kubeconfigWithToken,
  readyAt,
  serviceAccountToken,
  syncStatus,
} from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';
import { uniqueName } from '../test/support/local-env';
import { startAgent } from './run-agent';

// The shipped install (agent/deploy) against the real RBAC authorizer: the agent runs as its ServiceAccount, with a
// token from the TokenRequest API as the kubelet would mount it. The Deployment itself is not started (no image can
// be built here); its process is this test's.
const admin = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const scratch = mkdtempSync(join(tmpdir(), 'install-'));
const cleanup: (() => Promise<unknown>)[] = [];

/** Applies what an install creates, except the Deployment (and the Namespace/CRD, created by the test harness). */
async function install(objects: KubeObject[]): Promise<void> {
  for (const object of objects) {
    if (['Deployment', 'CustomResourceDefinition', 'Namespace'].includes(object.kind)) continue;
    await admin.apply(object, { manager: 'tidemark-tests' });
  }
}

/** Replaces namespace names everywhere in the rendered install (subjects, metadata). */
function renamed(objects: KubeObject[], names: Record<string, string>): KubeObject[] {
  let text = JSON.stringify(objects);
  for (const [from, to] of Object.entries(names)) text = text.replaceAll(`"${from}"`, `"${to}"`);
  return JSON.parse(text);
}

beforeAll(() => installSyncCrd(admin));
afterAll(async () => {
  for (const step of cleanup) await step().catch(() => {});
  admin.close();
});

describe('agent/deploy', () => {
  it('gives the agent everything it needs cluster-wide, including cluster-scoped objects and its Lease', async () => {
    await admin.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidemark-system' } },
      { manager: 'tidemark-tests' },
    );
    await install(await renderFolder(join(import.meta.dirname, 'deploy')));
    const ns = await uniqueNamespace('install-cluster');
    const roleName = uniqueName('tidemark-test-role');
    cleanup.push(() =>
      admin.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: roleName }),
    );
    const repo = await createGitRepo('install-cluster', {
      'apps/cm.yaml': configMapYaml(ns, 'a', { k: 'v' }),
      'apps/role.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: ${roleName}}\nrules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]\n`,
    });
    const token = await serviceAccountToken(admin, 'tidemark-system', 'tidemark-agent');
    const agent = await startAgent({
      kubeconfig: kubeconfigWithToken(join(scratch, 'cluster.kubeconfig'), token),
      cacheDir: join(scratch, 'cache-cluster'),
      port: 0,
      watchNamespace: ns,
      leaderElection: { namespace: 'tidemark-system', name: uniqueName('lease'), identity: 'test' },
    });
    try {
      await createSync(admin, ns, 'apps', { url: repo.url, path: 'apps' });
      const status = await readyAt(admin, ns, 'apps', repo.head());
      expect(status.inventory?.entries.map((e) => e.id).sort()).toEqual([
        `_${roleName}_rbac.authorization.k8s.io_ClusterRole`,
        `${ns}_a__ConfigMap`,
      ]);
    } finally {
      await agent.stop();
    }
  });

  it('limits the namespaced variant to its namespaces: the API server refuses the others', async () => {
    const system = await uniqueNamespace('install-system');
    const allowed = await uniqueNamespace('install-allowed');
    const other = await uniqueNamespace('install-other');
    await install(
      renamed(await renderFolder(join(import.meta.dirname, 'deploy/namespaced')), {
        'tidemark-system': system,
        apps: allowed,
      }),
    );
    const token = await serviceAccountToken(admin, system, 'tidemark-agent');
    const agent = await startAgent({
      kubeconfig: kubeconfigWithToken(join(scratch, 'namespaced.kubeconfig'), token),
      cacheDir: join(scratch, 'cache-namespaced'),
      port: 0,
      watchNamespace: system,
      namespaces: [allowed],
      leaderElection: { namespace: system, name: 'tidemark-agent', identity: 'test' },
    });
    try {
      const inside = await createGitRepo('install-inside', { 'apps/cm.yaml': configMapYaml(allowed, 'a', { k: 'v' }) });
      await createSync(admin, system, 'inside', { url: inside.url, path: 'apps' });
      await readyAt(admin, system, 'inside', inside.head());

      const outside = await createGitRepo('install-outside', { 'apps/cm.yaml': configMapYaml(other, 'a', { k: 'v' }) });
      await createSync(admin, system, 'outside', { url: outside.url, path: 'apps' });
      const ready = await eventually(async () =>
        (await syncStatus(admin, system, 'outside')).conditions?.find((c) => c.type === 'Ready'),
      );
      expect(ready).toMatchObject({ status: 'False', reason: 'ApplyFailed' });
      expect(ready.message).toContain(`ConfigMap/${other}/a apply failed (Forbidden)`);
      expect(await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: other, name: 'a' })).toBeUndefined();
    } finally {
      await agent.stop();
    }
  });
});
