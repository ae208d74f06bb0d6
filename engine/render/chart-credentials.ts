import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { ChartRef } from '../../core/helm/chart-source';
import { registryAuthFor, tokenNeedsRefresh } from '../../core/helm/registry-auth';
import type { ChartCredentials } from './helm-chart';

/**
 * Credentials for pulling a Sync's chart: an ECR token (GetAuthorizationToken with the process's AWS identity, cached
 * per registry and renewed an hour before its 12-hour expiry), or the `username`/`password` (and `ca.crt`, the PEM of
 * a private CA) of the secretRef in the Sync's namespace. A chart in Git needs none.
 */
export class ChartCredentialsSource {
  private readonly tokens = new Map<string, { credentials: ChartCredentials; expiresAt: Date }>();

  constructor(
    private readonly cluster: ClusterClient,
    private readonly ecrClientFor: (region: string) => ECRClient = (region) => new ECRClient({ region }),
    private readonly now: () => Date = () => new Date(),
  ) {}

  async for(chart: ChartRef, namespace: string): Promise<ChartCredentials | undefined> {
    const url = chart.oci ?? chart.repository;
    if (url === undefined) return undefined;
    const auth = registryAuthFor(url, chart.secretRef?.name);
    if (auth.kind === 'anonymous') return undefined;
    if (auth.kind === 'secret') {
      const secret = await this.cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: auth.name });
      const data = (secret?.data ?? {}) as Record<string, string>;
      const decode = (key: string) => (data[key] ? Buffer.from(data[key], 'base64').toString('utf8') : undefined);
      const username = decode('username');
      const password = decode('password');
      const ca = decode('ca.crt');
      if (!secret || (!(username && password) && !ca)) {
        throw new Error(
          `Secret/${namespace}/${auth.name} ${secret ? 'has neither username and password nor ca.crt' : 'does not exist'}. Create it with keys username and password (and ca.crt for a private CA) for the chart registry or repository`,
        );
      }
      return { ...(username && password ? { username, password } : {}), ...(ca ? { ca } : {}) };
    }
    const key = `${auth.registryId}/${auth.region}`;
    const cached = this.tokens.get(key);
    if (cached && !tokenNeedsRefresh(cached.expiresAt, this.now())) return cached.credentials;
    const result = await this.ecrClientFor(auth.region).send(
      new GetAuthorizationTokenCommand({ registryIds: [auth.registryId] }),
    );
    const data = result.authorizationData?.[0];
    const decoded = data?.authorizationToken ? Buffer.from(data.authorizationToken, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw new Error(
        `ECR returned no authorization token for registry ${auth.registryId}. Check the agent's ecr:GetAuthorizationToken permission`,
      );
    const credentials = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    this.tokens.set(key, { credentials, expiresAt: data?.expiresAt ?? new Date(this.now().getTime() + 12 * 3600_000) });
    return credentials;
  }
}
