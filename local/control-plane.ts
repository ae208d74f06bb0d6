import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LocalProcess } from './environment';
import { ensurePki, newToken } from './pki';
import { freePort, startDetached, waitUntil } from './processes';

/**
 * The real Kubernetes control plane on loopback: etcd, kube-apiserver (TLS from our own CA, a static token file, RBAC),
 * kube-controller-manager (Deployments get ReplicaSets, namespaces get deleted, garbage collection runs),
 * kube-scheduler, and kwok, which plays the kubelet of one fake node so pods become Ready without containers.
 */
export interface ControlPlane {
  server: string;
  kubeconfigPath: string;
  adminToken: string;
  caPath: string;
  processes: LocalProcess[];
}

const FAKE_NODE = 'kwok-node-0';

export async function startControlPlane(binDir: string, stateDir: string): Promise<ControlPlane> {
  const dir = join(stateDir, 'kube');
  mkdirSync(dir, { recursive: true });
  const pki = ensurePki(join(dir, 'pki'));
  const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(
    Array.from({ length: 6 }, freePort),
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const tokens = { admin: newToken(), kcm: newToken(), scheduler: newToken() };
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(
    tokenFile,
    [
      `${tokens.admin},admin,admin,system:masters`,
      `${tokens.kcm},system:kube-controller-manager,system:kube-controller-manager`,
      `${tokens.scheduler},system:kube-scheduler,system:kube-scheduler`,
    ].join('\n'),
    { mode: 0o600 },
  );
  const kubeconfig = (user: string, token: string) => {
    const path = join(dir, `${user}.kubeconfig`);
    writeFileSync(path, kubeconfigYaml(server, pki.caCert, user, token), { mode: 0o600 });
    return path;
  };
  const adminKubeconfig = kubeconfig('admin', tokens.admin);
  const kcmKubeconfig = kubeconfig('kube-controller-manager', tokens.kcm);
  const schedulerKubeconfig = kubeconfig('kube-scheduler', tokens.scheduler);
  const bin = (name: string) => join(binDir, name);
  const log = (name: string) => join(dir, `${name}.log`);
  const processes: LocalProcess[] = [];

  const etcd = startDetached(
    'etcd',
    bin('etcd'),
    [
      '--name=tidemark',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=tidemark=http://127.0.0.1:${etcdPeer}`,
      // A throwaway test cluster: durability buys nothing and fsync is the slowest part of every write.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    log('etcd'),
  );
  processes.push(etcd);
  await waitUntil('etcd', () => httpOk(`http://127.0.0.1:${etcdClient}/health`), {
    timeoutMs: 30_000,
    process: etcd,
    commandHint: 'etcd',
  });

  const apiserver = startDetached(
    'kube-apiserver',
    bin('kube-apiserver'),
    [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--profiling=false',
      // Benchmarks send thousands of requests; the defaults (400/200) would make them measure throttling.
      '--max-requests-inflight=1000',
      '--max-mutating-requests-inflight=500',
    ],
    log('kube-apiserver'),
  );
  processes.push(apiserver);
  await waitUntil('kube-apiserver', () => httpOk(`${server}/readyz`, { ca: pki.caCert, token: tokens.admin }), {
    timeoutMs: 90_000,
    process: apiserver,
    commandHint: 'kube-apiserver',
  });

  processes.push(
    startDetached(
      'kube-controller-manager',
      bin('kube-controller-manager'),
      [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        // kwok heart-beats every 10–25 s; leave room so the fake node is never marked NotReady under load.
        '--node-monitor-grace-period=2m',
      ],
      log('kube-controller-manager'),
    ),
    startDetached(
      'kube-scheduler',
      bin('kube-scheduler'),
      [
        `--kubeconfig=${schedulerKubeconfig}`,
        `--authentication-kubeconfig=${schedulerKubeconfig}`,
        `--authorization-kubeconfig=${schedulerKubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${schedPort}`,
        '--leader-elect=false',
      ],
      log('kube-scheduler'),
    ),
    startDetached(
      'kwok',
      bin('kwok'),
      [
        `--kubeconfig=${adminKubeconfig}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--config=${join(import.meta.dirname, 'k8s', 'kwok-stages.yaml')}`,
        `--server-address=127.0.0.1:${kwokPort}`,
        '--cidr=10.244.0.0/16',
        '--node-ip=10.244.0.1',
        '--node-lease-duration-seconds=0',
      ],
      log('kwok'),
    ),
  );

  await createFakeNode(server, pki.caCert, tokens.admin);
  await waitUntilSettled(server, pki.caCert, tokens.admin, processes);
  return { server, kubeconfigPath: adminKubeconfig, adminToken: tokens.admin, caPath: pki.caCert, processes };
}

/**
 * A fresh API server answers /readyz before its controllers have done their first work. Tests and the demo expect a
 * cluster as a user finds it, so wait for: the fake node Ready (kwok), the `default` ServiceAccount (pods need it),
 * and the aggregated `edit` ClusterRole filled in (RoleBindings to it grant nothing until then).
 */
async function waitUntilSettled(
  server: string,
  caPath: string,
  token: string,
  processes: LocalProcess[],
): Promise<void> {
  const get = async (path: string) => {
    const r = await httpRequest(`${server}${path}`, { ca: caPath, token });
    return r.status === 200 ? (JSON.parse(r.body) as Record<string, unknown>) : undefined;
  };
  const kwok = processes.find((p) => p.name === 'kwok');
  await waitUntil(
    'the local cluster to settle (node Ready, default ServiceAccount, aggregated roles)',
    async () => {
      const node = (await get(`/api/v1/nodes/${FAKE_NODE}`)) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      const nodeReady = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const serviceAccount = await get('/api/v1/namespaces/default/serviceaccounts/default');
      const edit = (await get('/apis/rbac.authorization.k8s.io/v1/clusterroles/edit')) as { rules?: unknown[] };
      return Boolean(nodeReady && serviceAccount && (edit?.rules?.length ?? 0) > 0);
    },
    { timeoutMs: 90_000, ...(kwok ? { process: kwok, commandHint: 'kwok' } : {}) },
  );
}

function kubeconfigYaml(server: string, caPath: string, user: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'tidemark-local',
        cluster: { server, 'certificate-authority-data': readFileSync(caPath).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'tidemark-local', context: { cluster: 'tidemark-local', user, namespace: 'default' } }],
    'current-context': 'tidemark-local',
  });
}

/** The node kwok pretends to be the kubelet of; without a taint, so every ordinary pod schedules onto it. */
async function createFakeNode(server: string, caPath: string, token: string): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: FAKE_NODE,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': FAKE_NODE,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
  };
  const status = await httpRequest(`${server}/api/v1/nodes/${FAKE_NODE}?fieldManager=tidemark-local&force=true`, {
    ca: caPath,
    token,
    method: 'PATCH',
    contentType: 'application/apply-patch+yaml',
    body: JSON.stringify(node),
  });
  if (status.status >= 300) throw new Error(`creating the fake node failed (${status.status}): ${status.body}`);
}

export async function kubeReady(server: string, caPath: string, token: string): Promise<boolean> {
  return httpOk(`${server}/readyz`, { ca: caPath, token });
}

/** Minimal HTTPS/HTTP call with our CA and a bearer token (Node's fetch cannot take a custom CA). */
export function httpRequest(
  url: string,
  opts: { ca?: string; token?: string; method?: string; body?: string; contentType?: string } = {},
): Promise<{ status: number; body: string }> {
  if (url.startsWith('http:')) {
    return fetch(url, { method: opts.method ?? 'GET', body: opts.body }).then(async (r) => ({
      status: r.status,
      body: await r.text(),
    }));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.ca ? readFileSync(opts.ca) : undefined,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
        },
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout calling ${url}`)));
    req.end(opts.body);
  });
}

async function httpOk(url: string, opts: { ca?: string; token?: string } = {}): Promise<boolean> {
  return (await httpRequest(url, opts)).status === 200;
}
