import { type Cluster, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { ClusterClient } from './cluster-client';
import { EksTokenSource } from './eks-token';

/** Where an EKS cluster's API server is and how to trust it, from `DescribeCluster`. */
export interface EksEndpoint {
  server: string;
  /** Base64 PEM of the cluster CA, as EKS returns it. */
  certificateAuthorityData: string;
}

/**
 * Opens a ClusterClient on an EKS cluster with the caller's AWS identity: DescribeCluster for the endpoint and CA
 * (cached per cluster; they change only when the cluster is replaced), an STS-signed bearer token for authentication.
 * A client is built per scan, so each scan starts with a token that is good for its whole run.
 */
export class EksClusters {
  private readonly endpoints = new Map<string, Promise<EksEndpoint>>();
  private readonly tokens: EksTokenSource;
  private readonly eks: EKSClient;

  constructor(readonly region: string) {
    this.eks = new EKSClient({ region });
    this.tokens = new EksTokenSource({ region });
  }

  endpointOf(eksClusterName: string): Promise<EksEndpoint> {
    let endpoint = this.endpoints.get(eksClusterName);
    if (!endpoint) {
      endpoint = this.describe(eksClusterName);
      this.endpoints.set(eksClusterName, endpoint);
      endpoint.catch(() => this.endpoints.delete(eksClusterName));
    }
    return endpoint;
  }

  async clientFor(eksClusterName: string): Promise<ClusterClient> {
    const [endpoint, token] = await Promise.all([
      this.endpointOf(eksClusterName),
      this.tokens.tokenFor(eksClusterName),
    ]);
    return ClusterClient.fromToken({ ...endpoint, token: token.token });
  }

  private async describe(name: string): Promise<EksEndpoint> {
    let cluster: Cluster | undefined;
    try {
      ({ cluster } = await this.eks.send(new DescribeClusterCommand({ name })));
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      throw new Error(
        `EKS cluster ${name} does not exist in ${this.region}. Fix eksClusterName or region in tidemark.config.yaml.`,
        { cause: error },
      );
    }
    const server = cluster?.endpoint;
    const certificateAuthorityData = cluster?.certificateAuthority?.data;
    if (!server || !certificateAuthorityData) {
      throw new Error(
        `EKS cluster ${name} in ${this.region} has no endpoint or CA yet (status ${cluster?.status ?? 'unknown'}). ` +
          'Wait until it is ACTIVE, or fix eksClusterName in tidemark.config.yaml.',
      );
    }
    return { server, certificateAuthorityData };
  }
}

/**
 * Clients for the clusters of the deployment config, as the drift scanner reaches them: through EKS with the caller's
 * AWS identity (one {@link EksClusters} per region), or, where `KUBECONFIG` is set (the local environment: tests and
 * `tidemark demo`; never in AWS), the kubeconfig's cluster. A client per scan, closed by the caller.
 */
export class ConfiguredClusters {
  private readonly regions = new Map<string, EksClusters>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  connect(cluster: { region: string; eksClusterName: string }): Promise<ClusterClient> {
    const kubeconfig = this.env.KUBECONFIG;
    if (kubeconfig) return Promise.resolve(ClusterClient.fromKubeconfig(kubeconfig));
    let eks = this.regions.get(cluster.region);
    if (!eks) {
      eks = new EksClusters(cluster.region);
      this.regions.set(cluster.region, eks);
    }
    return eks.clientFor(cluster.eksClusterName);
  }
}
