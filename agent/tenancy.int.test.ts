import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { configMapYaml, createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo, type TestGitRepo } from '../test/support/git-repo';
import { type RunningAgent, startAgent } from './run-agent';

// Tenants on one cluster-wide agent, judged by the real API server's RBAC authorizer: a Sync outside the agent's own
// namespace is applied as the ServiceAccount it names (impersonation), so whoever may create a Sync in a namespace can
// do no more there than that ServiceAccount. The agent itself runs as cluster admin here, as the cluster-wide install.

const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let agent: RunningAgent;
let tenant: string;
let agentHome: string;
let repo: TestGitRepo;
const escalation = `tenant-escalates-${Math.random().toString(36).slice(2, 8)}`;

const clusterRoleBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${escalation}
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: deployer, namespace: TENANT }]
`;

beforeAll(async () => {
  await installSyncCrd(cluster);
  tenant = await uniqueNamespace('tenant');
  agentHome = await uniqueNamespace('agent-home');
  // The tenant's ServiceAccount may manage ConfigMaps in its own namespace, and nothing else.
  const manager = { manager: 'tidemark-tests' };
  await cluster.apply(
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'deployer', namespace: tenant } },
    manager,
  );
  await cluster.apply(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'configmaps', namespace: tenant },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }],
    },
    manager,
  );
  await cluster.apply(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'deployer-configmaps', namespace: tenant },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmaps' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: tenant }],
    },
    manager,
  );
  repo = await createGitRepo('tenancy', {
    'allowed/settings.yaml': configMapYaml(tenant, 'settings', { mode: 'tenant' }),
    'escalate/settings.yaml': configMapYaml(tenant, 'settings-too', { mode: 'tenant' }),
    'escalate/admin.yaml': clusterRoleBinding.replace('TENANT', tenant),
  });
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: tenant,
    ownNamespace: agentHome,
  });
});

afterAll(async () => {
  await agent?.stop();
  cluster.close();
});

describe('a Sync outside the agent namespace', () => {
  it('applies what its ServiceAccount may apply, as that ServiceAccount', async () => {
    await createSync(cluster, tenant, 'allowed', {
      url: repo.url,
      path: 'allowed',
      serviceAccountName: 'deployer',
      interval: '10m',
    });
    await readyAt(cluster, tenant, 'allowed', repo.head());
    const live = await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: tenant, name: 'settings' });
    expect(live?.data).toEqual({ mode: 'tenant' });
  });

  it('is refused by the authorizer when it holds a ClusterRoleBinding, and the binding is never created', async () => {
    await createSync(cluster, tenant, 'escalate', {
      url: repo.url,
      path: 'escalate',
      serviceAccountName: 'deployer',
      interval: '10m',
    });
    const ready = await eventually(async () => {
      const condition = (await syncStatus(cluster, tenant, 'escalate')).conditions?.find((c) => c.type === 'Ready');
      return condition?.status === 'False' && condition.reason === 'ApplyFailed' ? condition : undefined;
    }, 60_000);
    expect(ready.message).toContain(`ClusterRoleBinding/${escalation} apply failed (Forbidden)`);
    expect(ready.message).toMatch(/forbidden/i);
    expect(ready.message).toContain(`Grant system:serviceaccount:${tenant}:deployer this permission with a Role`);
    const binding = await cluster.get({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      name: escalation,
    });
    expect(binding).toBeUndefined();
  });

  it('is not applied at all without spec.serviceAccountName, and says which field to set', async () => {
    await createSync(cluster, tenant, 'anonymous', { url: repo.url, path: 'allowed', interval: '10m' });
    const stalled = await eventually(async () => {
      const condition = (await syncStatus(cluster, tenant, 'anonymous')).conditions?.find((c) => c.type === 'Stalled');
      return condition?.status === 'True' ? condition : undefined;
    }, 60_000);
    expect(stalled.message).toContain('spec.serviceAccountName is required');
    expect(stalled.message).toContain(agentHome);
    expect((await syncStatus(cluster, tenant, 'anonymous')).lastAppliedRevision).toBeUndefined();
  });
});
