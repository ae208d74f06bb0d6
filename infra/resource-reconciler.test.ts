import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { ResourceFolderConfig } from '../core/resources/resources-settings';
import { resourceDriftScanDetailType } from '../functions/reconcilers/reconciler-handler';
import { Alerts } from './alerts';
import { constructTestStack, exampleConfig } from './fixtures/deployment-config';
import { leadingKeysOf } from './fixtures/leading-keys';
import { ResourceReconciler } from './resource-reconciler';
import { State } from './state';
import { projectRoot } from './tidemark-function';

const config = exampleConfig();
const folder = (name: string) => config.resources.find((f) => f.name === name)!;

function reconciler(f: ResourceFolderConfig) {
  const stack = constructTestStack();
  const construct = new ResourceReconciler(stack, 'Resources', {
    config,
    folder: f,
    state: new State(stack, 'State'),
    alerts: new Alerts(stack, 'Alerts', { slackWebhookSecretName: 'tidemark/slack' }),
    configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', config.configRepo.authSecretName),
  });
  return { stack, construct, template: Template.fromStack(stack) };
}

function statements(template: Template): { Action: string | string[]; Resource: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement,
  );
}

describe('ResourceReconciler', () => {
  // The first test of a file also pays for importing aws-cdk-lib, which takes a minute on a loaded machine.
  it('runs one folder at a time, from its sync queue (batch failures reported) and on its drift-scan schedule', {
    timeout: 180_000,
  }, () => {
    const { template } = reconciler(folder('dns'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({ TIDEMARK_RESOURCES_FOLDER: 'dns', TIDEMARK_ALERTS_TOPIC_ARN: Match.anyValue() }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // A request stays invisible for six runs' time, as Lambda advises for a queue its function may be busy with.
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 1800,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 10 }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: Match.objectLike({
        Input: Match.serializedJson(Match.objectLike({ 'detail-type': resourceDriftScanDetailType })),
      }),
    });
  });

  it("may touch only its folder's status and alert state in the State table", () => {
    expect(leadingKeysOf(reconciler(folder('dns')).template)).toEqual(['resources#dns', 'drift-alert#resources/dns']);
  });

  it('may change the named hosted zones in Route 53 and nothing else there', () => {
    const { template } = reconciler(folder('dns'));
    const route53 = statements(template).filter((s) => [s.Action].flat().some((a) => a.startsWith('route53:')));
    expect(route53).toEqual([
      expect.objectContaining({
        Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets'],
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/Z0123456789ABCDEFGHIJ']],
        },
      }),
    ]);
  });

  it('reaches PostgreSQL inside the VPC, and may read the admin secret and the passwords under its prefix only', () => {
    const { template } = reconciler(folder('databases'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
        SecurityGroupIds: ['sg-0123456789abcdef0'],
      },
    });
    const secrets = statements(template)
      .filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))
      .map((s) => JSON.stringify(s.Resource));
    expect(secrets.join('\n')).toContain('secret:tidemark/postgres-admin-??????');
    expect(secrets.join('\n')).toContain('secret:tidemark/postgres/*');
    // Nothing beyond them: the config repo token, the Slack webhook, the prefix.
    expect(secrets).toHaveLength(4);
    expect(secrets.filter((r) => r.includes('secret:*'))).toEqual([]);
  });

  it("bundles a reconciler of your own through a generated entry, with the folder's own IAM statements", () => {
    const { template } = reconciler(folder('parameters'));
    const entry = join(projectRoot, '.cache/reconcilers/parameters/handler.ts');
    expect(existsSync(entry)).toBe(true);
    expect(readFileSync(entry, 'utf8')).toContain(join(projectRoot, 'examples/reconcilers/ssm-parameter.ts'));
    const ssm = statements(template).filter((s) => [s.Action].flat().some((a) => a.startsWith('ssm:')));
    expect(ssm.map((s) => s.Resource)).toEqual(['arn:aws:ssm:us-east-1:123456789012:parameter/acme/shop/*']);
  });

  it('passes cdk-nag, its wildcards acknowledged with the reasons the config gives', () => {
    for (const name of ['dns', 'databases', 'parameters']) {
      const { stack } = reconciler(folder(name));
      const report = new AwsSolutionsChecks(stack).validateScope(stack);
      expect(
        report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
        name,
      ).toEqual([]);
    }
  });

  it('refuses a timeout a scheduled run cannot use', () => {
    const stack = constructTestStack();
    expect(
      () =>
        new ResourceReconciler(stack, 'Resources', {
          config,
          folder: folder('dns'),
          state: new State(stack, 'State'),
          alerts: new Alerts(stack, 'Alerts'),
          configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', 'x'),
          timeout: { toSeconds: () => 1000, toHumanString: () => '16 minutes' } as never,
        }),
    ).toThrow('Resources: timeout must be from 30 seconds to 15 minutes, but 16 minutes was given');
  });
});
