import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ClusterAccess, driftScannerGroup, eksViewPolicyArn } from './cluster-access';
import { constructTestStack, exampleConfig } from './fixtures/deployment-config';
import { SyncQueue } from './sync-queue';

const [dev] = exampleConfig().clusters;

function clusterAccess(stack: Stack = constructTestStack()) {
  const syncQueue = new SyncQueue(stack, 'SyncQueue', { clusterName: dev!.name });
  const access = new ClusterAccess(stack, 'Cluster', { cluster: dev!, syncQueue });
  return { stack, access, syncQueue };
}

describe('ClusterAccess', () => {
  it("associates the agent's ServiceAccount with its role through EKS Pod Identity", () => {
    const { stack } = clusterAccess();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      ClusterName: 'acme-dev',
      Namespace: 'tidemark-system',
      ServiceAccount: 'tidemark-agent',
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterAgentRole'), 'Arn'] },
    });
  });

  it("lets only the agent's ServiceAccount in this cluster receive the role, by Pod Identity's session tags", () => {
    const { stack } = clusterAccess();
    const [role, ...others] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'));
    expect(others).toEqual([]);
    expect(role!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:RequestTag/eks-cluster-arn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks:us-east-1:123456789012:cluster/acme-dev']],
            },
            'aws:RequestTag/kubernetes-namespace': 'tidemark-system',
            'aws:RequestTag/kubernetes-service-account': 'tidemark-agent',
          },
        },
      },
    ]);
  });

  it('conditions the trust on the namespace and ServiceAccount the cluster is configured with', () => {
    const stack = constructTestStack();
    const cluster = { ...dev!, agentNamespace: 'gitops', agentServiceAccount: 'puller' };
    const syncQueue = new SyncQueue(stack, 'SyncQueue', { clusterName: cluster.name });
    new ClusterAccess(stack, 'Cluster', { cluster, syncQueue });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: Match.objectLike({
                'aws:RequestTag/kubernetes-namespace': 'gitops',
                'aws:RequestTag/kubernetes-service-account': 'puller',
              }),
            },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
      Namespace: 'gitops',
      ServiceAccount: 'puller',
    });
  });

  it("lets the agent receive from its own cluster's sync queue and do nothing else", () => {
    const { stack, syncQueue } = clusterAccess();
    const queueId = stack.getLogicalId(syncQueue.queue.node.defaultChild as never);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      },
    ]);
  });

  it('grants view as DescribeCluster on this cluster and an access entry with the EKS view policy', () => {
    const { stack, access } = clusterAccess();
    const scanner = new Role(stack, 'Scanner', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    access.grantView(scanner);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'acme-dev',
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Scanner'), 'Arn'] },
      Type: 'STANDARD',
      AccessPolicies: [{ PolicyArn: eksViewPolicyArn, AccessScope: { Type: 'cluster' } }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Scanner') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'eks:DescribeCluster',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':eks:us-east-1:123456789012:cluster/acme-dev']],
            },
          },
        ],
      },
    });
  });

  it('grants view alone with no Kubernetes group', () => {
    const { stack, access } = clusterAccess();
    access.grantView(new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }));
    const [entry] = Object.values(Template.fromStack(stack).findResources('AWS::EKS::AccessEntry'));
    expect(entry?.Properties.KubernetesGroups).toBeUndefined();
  });

  it('grants the drift scan as the view entry plus the group agent/deploy/drift-scanner lets dry-run', () => {
    const { stack, access } = clusterAccess();
    const scanner = new Role(stack, 'Scanner', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    access.grantDriftScan(scanner);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EKS::AccessEntry', 1);
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'acme-dev',
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Scanner'), 'Arn'] },
      Type: 'STANDARD',
      KubernetesGroups: ['tidemark:drift-scanner'],
      AccessPolicies: [{ PolicyArn: eksViewPolicyArn, AccessScope: { Type: 'cluster' } }],
    });
    // The name the manifests bind: agent/deploy/drift-scanner/rbac.yaml and dry-run-only-policy.yaml.
    expect(driftScannerGroup).toBe('tidemark:drift-scanner');
  });

  it('refuses a cluster outside the stack region, since access entries are regional', () => {
    const stack = new Stack(new App(), 'Elsewhere', { env: { region: 'eu-west-1' } });
    expect(() => clusterAccess(stack)).toThrow(
      "clusters[dev].region: 'us-east-1' differs from the stack's region 'eu-west-1', and EKS access entries can only be created in the cluster's own region. Deploy one stack per region",
    );
  });

  it("refuses another cluster's sync queue", () => {
    const stack = constructTestStack();
    const syncQueue = new SyncQueue(stack, 'SyncQueue', { clusterName: 'prod' });
    expect(() => new ClusterAccess(stack, 'Cluster', { cluster: dev!, syncQueue })).toThrow(
      "Cluster: the sync queue belongs to cluster 'prod', not 'dev'. Pass the queue of the same cluster",
    );
  });
});
