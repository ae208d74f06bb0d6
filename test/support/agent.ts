import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import type { SyncStatus } from '../../core/sync/sync-status';
import { renderFolder } from '../../engine/render/render-folder';
import { eventually } from './eventually';
import { localEnv } from './local-env';

export { eventually };

import { syncApiVersion, syncKind } from '../../core/sync/sync';

// Helpers shared by the agent's integration tests (the agent against the real API server and git server).

/** Installs the Sync CRD shipped in agent/deploy (the same file users install) and waits until it is served. */
export async function installSyncCrd(cluster: ClusterClient): Promise<void> {
  const objects = await renderFolder(join(import.meta.dirname, '../../agent/deploy/base'));
  const crd = objects.find((o) => o.kind === 'CustomResourceDefinition') as KubeObject;
  await cluster.apply(crd, { manager: 'tidemark-tests' });
  await eventually(async () => {
    cluster.mapper.reset();
    await cluster.list(syncApiVersion, syncKind, { namespace: 'default' });
    return true;
  }, 30_000);
}

/** A Sync of `url` in `namespace`, with the git credentials Secret it names. */
export async function createSync(
  cluster: ClusterClient,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  const { username, password } = localEnv().git;
  await cluster.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-git`, namespace },
      stringData: { username, password },
    },
    { manager: 'tidemark-tests' },
  );
  await cluster.apply(
    {
      apiVersion: syncApiVersion,
      kind: syncKind,
      metadata: { name, namespace },
      spec: { secretRef: { name: `${name}-git` }, ...spec },
    },
    { manager: 'tidemark-tests' },
  );
}

export async function syncStatus(cluster: ClusterClient, namespace: string, name: string): Promise<SyncStatus> {
  const sync = await cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace, name });
  return (sync?.status ?? {}) as SyncStatus;
}

/** Waits until the Sync has applied `revision` and reports Ready. */
export function readyAt(cluster: ClusterClient, namespace: string, name: string, revision: string, timeoutMs = 60_000) {
  return eventually(async () => {
    const status = await syncStatus(cluster, namespace, name);
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    return status.lastAppliedRevision === revision && ready?.status === 'True' ? status : undefined;
  }, timeoutMs);
}

/** A kubeconfig for the local API server that authenticates with `token` (e.g. a ServiceAccount's). */
export function kubeconfigWithToken(path: string, token: string): string {
  const { server, caPath } = localEnv().kube;
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'local', cluster: { server, 'certificate-authority-data': readFileSync(caPath).toString('base64') } },
      ],
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'local', user: 'sa' } }],
      'current-context': 'sa',
    }),
  );
  return path;
}

/** A token of a ServiceAccount from the TokenRequest API, as the kubelet would mount it into the agent's pod. */
export async function serviceAccountToken(cluster: ClusterClient, namespace: string, name: string): Promise<string> {
  const response = await cluster.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } } },
  );
  return response.status.token;
}

export const configMapYaml = (namespace: string, name: string, data: Record<string, string>) =>
  stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
