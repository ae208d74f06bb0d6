import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { Alerts } from './alerts';
import { chartRepositoriesOf, grantChartPull } from './chart-pull';
import { ClusterAccess } from './cluster-access';
import { DriftScanner } from './drift-scanner';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { State } from './state';
import { SyncQueue } from './sync-queue';

/** The statements of the policies attached to the role whose logical id starts with `role`. */
function statementsOf(template: Template, role: RegExp): { Action: unknown; Resource: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => role.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const pullOf = (statements: { Action: unknown; Resource: unknown }[]) => ({
  token: statements.find((s) => s.Action === 'ecr:GetAuthorizationToken'),
  layers: statements.find(
    (s) =>
      Array.isArray(s.Action) &&
      s.Action.includes('ecr:BatchGetImage') &&
      s.Action.includes('ecr:GetDownloadUrlForLayer'),
  ),
});

describe('ECR chart pulls', () => {
  it("lets each agent's Pod Identity role and the drift scanner pull charts from charts.ecrRepositories only", () => {
    const config = { ...exampleConfig(), charts: { ecrRepositories: ['charts/*', 'platform/web'] } };
    const stack = constructTestStack();
    const chartRepositories = chartRepositoriesOf(config);
    const clusters = config.clusters.map(
      (cluster) =>
        new ClusterAccess(stack, `Cluster-${cluster.name}`, {
          cluster,
          syncQueue: new SyncQueue(stack, `Sync-${cluster.name}`, { clusterName: cluster.name }),
          chartRepositories,
        }),
    );
    new DriftScanner(stack, 'DriftScanner', {
      config,
      clusters,
      state: new State(stack, 'State'),
      alerts: new Alerts(stack, 'Alerts', {}),
      configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', config.configRepo.authSecretName),
      entry: fixtureEntry,
    });
    const template = Template.fromStack(stack);
    const repositories = [
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:123456789012:repository/charts/*']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:123456789012:repository/platform/web']] },
    ];
    for (const role of [/^ClusterdevAgentRole/, /^ClusterprodAgentRole/, /^DriftScannerHandlerRole/]) {
      const { token, layers } = pullOf(statementsOf(template, role));
      expect(token, `${role}`).toMatchObject({ Effect: 'Allow', Resource: '*' });
      expect(layers, `${role}`).toMatchObject({ Effect: 'Allow', Resource: repositories });
    }
    // Push, delete or describe are not part of a pull.
    template.resourcePropertiesCountIs(
      'AWS::IAM::Policy',
      Match.objectLike({
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['ecr:PutImage']) })]),
        },
      }),
      0,
    );
  });

  it('grants nothing when no chart repository is configured', () => {
    const stack = constructTestStack();
    const role = new Role(stack, 'Agent', { assumedBy: new ServicePrincipal('pods.eks.amazonaws.com') });
    grantChartPull(role, chartRepositoriesOf({ charts: { ecrRepositories: [] } }));
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  it('refuses an image URI where a repository name belongs, naming the entry', () => {
    expect(() =>
      chartRepositoriesOf({ charts: { ecrRepositories: ['123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web'] } }),
    ).toThrow(
      /charts\.ecrRepositories\[0\]: .* is not an ECR repository name, prefix or ARN \(that is an image URI; its repository is 'charts\/web'\)/,
    );
  });
});
