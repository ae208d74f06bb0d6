import { Names, Stack, Token } from 'aws-cdk-lib';
import { CfnAccessEntry, CfnPodIdentityAssociation } from 'aws-cdk-lib/aws-eks';
import { type IPrincipal, type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ConfigError } from '../core/config/config-error';
import type { ClusterConfig } from '../core/config/deployment-config';
import { grantChartPull } from './chart-pull';
import type { DeploymentEvents } from './deployment-events';
import type { EcrRepositorySelector } from './ecr-repository-selector';
import type { SyncQueue } from './sync-queue';

/** AWS's read-only access policy for EKS access entries: get/list/watch of most kinds, no Secrets. */
export const eksViewPolicyArn = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';

/**
 * EKS Pod Identity as the principal of a role that only one ServiceAccount of one cluster may receive. Pod Identity
 * assumes the role for any association that names it, in any cluster of the account, and tags the session with the
 * association's cluster, namespace and ServiceAccount (`eks-cluster-arn`, `kubernetes-namespace`,
 * `kubernetes-service-account`; EKS User Guide, "Create IAM role with trust policy required by EKS Pod Identity" and
 * "List of session tags added by EKS Pod Identity"). Conditioning the trust on those tags means a second association
 * to this role (another cluster, or a tenant's ServiceAccount in this one) gets no credentials. An association with
 * session tags disabled (`disableSessionTags`) carries none, so it is refused too.
 */
export function podIdentityPrincipal(subject: {
  clusterArn: string;
  namespace: string;
  serviceAccount: string;
}): IPrincipal {
  return new ServicePrincipal('pods.eks.amazonaws.com')
    .withConditions({
      StringEquals: {
        'aws:RequestTag/eks-cluster-arn': subject.clusterArn,
        'aws:RequestTag/kubernetes-namespace': subject.namespace,
        'aws:RequestTag/kubernetes-service-account': subject.serviceAccount,
      },
    })
    .withSessionTags();
}

/**
 * The Kubernetes group agent/deploy/drift-scanner (applied once per cluster) lets read everything and dry-run a
 * server-side apply, while its admission policy denies the group every write that is not a dry-run.
 */
export const driftScannerGroup = 'tidemark:drift-scanner';

export interface ClusterAccessProps {
  /** The cluster as configured (`clusters[i]`): EKS name, region, the agent's namespace and ServiceAccount. */
  readonly cluster: ClusterConfig;
  /** The cluster's sync queue; its agent may receive from it and from nothing else. */
  readonly syncQueue: SyncQueue;
  /**
   * Where the agent reports deployment events; it may send to its cluster's queue there and to no other.
   * @default - the agent reports no events
   */
  readonly events?: DeploymentEvents;
  /**
   * ECR repositories of Helm charts (`charts.ecrRepositories`) the agent may pull from with its Pod Identity, so an
   * `oci://…dkr.ecr…` chart needs no token Secret (and no CronJob refreshing one).
   * @default - none: the agent's role has no ECR permission
   */
  readonly chartRepositories?: readonly EcrRepositorySelector[];
}

/**
 * Who may do what on one existing EKS cluster (Tidemark does not create clusters). Its agent's ServiceAccount gets,
 * through an EKS Pod Identity association, an IAM role that can only receive from the cluster's sync queue (and that
 * only this cluster's agent ServiceAccount may receive: {@link podIdentityPrincipal}); and
 * {@link grantView} gives a principal read-only Kubernetes access through an EKS access entry with the view policy, and
 * {@link grantDriftScan} adds the dry-run the drift scan needs. Nothing outside the cluster is given a way to write
 * into it.
 *
 * Access entries and Pod Identity associations are regional resources, so the cluster must be in the stack's region.
 */
export class ClusterAccess extends Construct {
  readonly clusterName: string;
  readonly eksClusterName: string;
  /** ARN of the EKS cluster. */
  readonly clusterArn: string;
  /** The role the agent's pods receive. */
  readonly agentRole: Role;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const { cluster } = props;
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region) && cluster.region !== stack.region) {
      throw new ConfigError(
        `clusters[${cluster.name}].region`,
        `'${cluster.region}' differs from the stack's region '${stack.region}', and EKS access entries can only be created in the cluster's own region`,
        "Deploy one stack per region, each from a config file that lists that region's clusters (cdk deploy -c config=FILE -c stackName=NAME)",
      );
    }
    if (props.syncQueue.clusterName !== cluster.name) {
      throw new Error(
        `${id}: the sync queue belongs to cluster '${props.syncQueue.clusterName}', not '${cluster.name}'. Pass the queue of the same cluster`,
      );
    }
    this.clusterName = cluster.name;
    this.eksClusterName = cluster.eksClusterName;
    this.clusterArn = stack.formatArn({
      service: 'eks',
      region: cluster.region,
      resource: 'cluster',
      resourceName: cluster.eksClusterName,
    });

    this.agentRole = new Role(this, 'AgentRole', {
      description: `Tidemark agent in ${cluster.eksClusterName}: receives its sync requests, sends its deployment events`,
      assumedBy: podIdentityPrincipal({
        clusterArn: this.clusterArn,
        namespace: cluster.agentNamespace,
        serviceAccount: cluster.agentServiceAccount,
      }),
    });
    props.syncQueue.grantReceiveSyncRequests(this.agentRole);
    props.events?.grantSendEvents(cluster.name, this.agentRole);
    grantChartPull(this.agentRole, props.chartRepositories ?? []);
    new CfnPodIdentityAssociation(this, 'AgentPodIdentity', {
      clusterName: cluster.eksClusterName,
      namespace: cluster.agentNamespace,
      serviceAccount: cluster.agentServiceAccount,
      roleArn: this.agentRole.roleArn,
    });
  }

  /**
   * Lets a role read the cluster: `eks:DescribeCluster` (endpoint and CA) and an access entry with
   * {@link eksViewPolicyArn} across the cluster. Kubernetes authorises the role's bearer token by that entry alone.
   */
  grantView(role: IRole): void {
    this.addViewAccess(role, []);
  }

  /**
   * What the drift scanner needs: {@link grantView}, with the access entry also putting the role in
   * {@link driftScannerGroup}. The view policy alone cannot decide drift: Kubernetes authorises a server-side apply
   * dry-run as the write it simulates, and the view policy cannot see Secrets or custom resources. The group's
   * rights come from agent/deploy/drift-scanner, which must be applied to the cluster (`kubectl apply -k`); until
   * then the role has the view policy only, and a scan that needs a dry-run fails saying so.
   */
  grantDriftScan(role: IRole): void {
    this.addViewAccess(role, [driftScannerGroup]);
  }

  private addViewAccess(role: IRole, kubernetesGroups: string[]): void {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [this.clusterArn] }));
    // One id for both grants: a role's entry stays the same resource when groups are added to it (an access entry
    // is unique per principal, so a replacement would fail to create the new one before deleting the old).
    new CfnAccessEntry(this, `ViewAccess${Names.uniqueId(role).slice(-24)}`, {
      clusterName: this.eksClusterName,
      principalArn: role.roleArn,
      type: 'STANDARD',
      ...(kubernetesGroups.length > 0 ? { kubernetesGroups } : {}),
      accessPolicies: [{ policyArn: eksViewPolicyArn, accessScope: { type: 'cluster' } }],
    });
  }
}
