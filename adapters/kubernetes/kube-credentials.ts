import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** Where the API server is and how to prove who we are to it. */
export interface Credentials {
  server: URL;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** Headers for one request (Authorization), asked for every request so rotated tokens are picked up. */
  headers(): Promise<Record<string, string>>;
}

const inClusterDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Credentials from a kubeconfig (the given file, else the first file of $KUBECONFIG, else ~/.kube/config), or from the
 * pod's ServiceAccount when there is none.
 *
 * Static credentials (tokens, token files, client certificates, basic auth) are read here with `yaml`. Exec plugins
 * and auth providers (`aws eks get-token`, OIDC) are delegated to @kubernetes/client-node's KubeConfig, loaded only
 * then: importing that package loads its whole generated API, about 100 MB of resident memory, which alone would
 * exceed the agent's memory budget in a pod that only ever needs its ServiceAccount token.
 *
 * @throws Error naming the file and what to fix when the kubeconfig cannot be used.
 */
export function credentialsFromKubeconfig(path?: string): Credentials {
  const file = path ?? process.env.KUBECONFIG?.split(':').find(Boolean) ?? defaultKubeconfig();
  if (file === undefined) return inCluster();
  const fail = (problem: string): never => {
    throw new Error(`kubeconfig ${file}: ${problem}. Fix the file, or pass --kubeconfig`);
  };
  let config: KubeconfigFile;
  try {
    config = parse(readFileSync(file, 'utf8')) as KubeconfigFile;
  } catch (error) {
    throw new Error(
      `kubeconfig ${file} cannot be read: ${(error as Error).message}. Pass --kubeconfig or set KUBECONFIG`,
      { cause: error },
    );
  }
  const contextName = config['current-context'];
  const context =
    config.contexts?.find((c) => c.name === contextName)?.context ?? fail(`has no current context '${contextName}'`);
  const cluster =
    config.clusters?.find((c) => c.name === context.cluster)?.cluster ?? fail(`has no cluster '${context.cluster}'`);
  const user = config.users?.find((u) => u.name === context.user)?.user ?? {};
  const base = dirname(file);
  const read = (data?: string, at?: string) =>
    data ? Buffer.from(data, 'base64') : at ? readFileSync(isAbsolute(at) ? at : join(base, at)) : undefined;
  const server = new URL(cluster.server ?? fail('its cluster has no server'));
  const tls = {
    ca: read(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: read(user['client-certificate-data'], user['client-certificate']),
    key: read(user['client-key-data'], user['client-key']),
    ...(cluster['insecure-skip-tls-verify'] ? { rejectUnauthorized: false } : {}),
    ...(cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
  };
  if (user.exec || user['auth-provider']) return { server, tls, headers: delegated(file) };
  if (user.token) return { server, tls, headers: async () => ({ Authorization: `Bearer ${user.token}` }) };
  if (user.tokenFile) return { server, tls, headers: tokenFileHeaders(user.tokenFile) };
  if (user.username) {
    const basic = Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
    return { server, tls, headers: async () => ({ Authorization: `Basic ${basic}` }) };
  }
  return { server, tls, headers: async () => ({}) };
}

/**
 * The same credentials, acting as `user` (Kubernetes impersonation: the API server authorizes every request as that
 * user, after checking that these credentials may `impersonate` it). A ServiceAccount is named
 * `system:serviceaccount:<namespace>:<name>`; the API server adds its groups itself.
 */
export function impersonating(credentials: Credentials, user: string): Credentials {
  return {
    ...credentials,
    headers: async () => ({ ...(await credentials.headers()), 'Impersonate-User': user }),
  };
}

/** Credentials for a server, its CA (base64 PEM, as EKS DescribeCluster returns it) and a bearer token. */
export function credentialsFromToken(access: {
  server: string;
  certificateAuthorityData?: string;
  token: string;
}): Credentials {
  return {
    server: new URL(access.server),
    tls: { ca: access.certificateAuthorityData ? Buffer.from(access.certificateAuthorityData, 'base64') : undefined },
    headers: async () => ({ Authorization: `Bearer ${access.token}` }),
  };
}

function defaultKubeconfig(): string | undefined {
  const file = join(homedir(), '.kube', 'config');
  return existsSync(file) ? file : undefined;
}

/** The pod's ServiceAccount: the projected token is rotated by the kubelet, so it is re-read every minute. */
function inCluster(): Credentials {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (!host || !existsSync(join(inClusterDir, 'token'))) {
    throw new Error('no kubeconfig found and not running in a pod. Set KUBECONFIG or pass --kubeconfig');
  }
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${process.env.KUBERNETES_SERVICE_PORT ?? 443}`),
    tls: { ca: readFileSync(join(inClusterDir, 'ca.crt')) },
    headers: tokenFileHeaders(join(inClusterDir, 'token')),
  };
}

function tokenFileHeaders(file: string): () => Promise<Record<string, string>> {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (cached === undefined || Date.now() - cached.at > 60_000) {
      cached = { token: readFileSync(file, 'utf8').trim(), at: Date.now() };
    }
    return { Authorization: `Bearer ${cached.token}` };
  };
}

/** Exec plugins and auth providers, through @kubernetes/client-node (which caches the tokens they return). */
function delegated(file: string): () => Promise<Record<string, string>> {
  let config: Promise<import('@kubernetes/client-node').KubeConfig> | undefined;
  return async () => {
    config ??= import('@kubernetes/client-node').then(({ KubeConfig }) => {
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      return kc;
    });
    const options: { headers?: Record<string, string> } = { headers: {} };
    await (await config).applyToHTTPSOptions(options);
    return options.headers ?? {};
  };
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: { name: string; cluster: KubeconfigCluster }[];
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  users?: { name: string; user: KubeconfigUser }[];
}

interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
}

interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
}
