import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { validateDeploymentConfig } from '../core/config/deployment-config';
import { Alerts } from './alerts';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { Promoter } from './promoter';
import { State } from './state';

function promoter(config = exampleConfig(), props: { timeout?: Duration; schedule?: string } = {}) {
  const stack = constructTestStack();
  const p = new Promoter(stack, 'Promoter', {
    alerts: new Alerts(stack, 'Alerts', { slackWebhookSecretName: config.alerts.slackWebhookSecretName }),
    config,
    state: new State(stack, 'State'),
    configRepoSecret: Secret.fromSecretNameV2(stack, 'Repo', config.configRepo.authSecretName),
    entry: fixtureEntry,
    ...props,
  });
  return { stack, promoter: p, template: Template.fromStack(stack) };
}

const statements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );

describe('Promoter', () => {
  it('hears Tidemark Deployment events and ECR Image Scan events of the watched repositories on one queue', () => {
    const { template } = promoter();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['tidemark'], 'detail-type': ['Tidemark Deployment'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PromoterQueue'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ecr'], 'detail-type': ['ECR Image Scan'], detail: { 'repository-name': ['web'] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PromoterQueue'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 3 },
      VisibilityTimeout: 360,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ TIDEMARK_PROMOTER_QUEUE_URL: { Ref: Match.stringLikeRegexp('^PromoterQueue') } }),
      },
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('may read scans and images of the watched repositories only, the config repo secret, and send to its queue', () => {
    const { template } = promoter();
    const ecr = statements(template).find((s) => [s.Action].flat().includes('ecr:DescribeImageScanFindings'));
    expect([ecr?.Action].flat().sort()).toEqual(['ecr:DescribeImageScanFindings', 'ecr:DescribeImages']);
    expect(JSON.stringify(ecr?.Resource)).toContain(':repository/web');
    const actions = statements(template).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue', 'sqs:SendMessage', 'sns:Publish']),
    );
    expect(actions.filter((a) => a.startsWith('ecr:'))).toHaveLength(2);
    expect(statements(template).some((s) => s.Resource === '*')).toBe(false);
  });

  it('has no cdk-nag AwsSolutions finding', () => {
    const { stack } = promoter();
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
  });

  it('refuses a config whose deployments never reach EventBridge, and a timeout it cannot honour, saying the fix', () => {
    const off = validateDeploymentConfig({ ...exampleConfig(), notifications: { eventBridge: false } });
    expect(() => promoter(off)).toThrow(
      'Promoter: notifications.eventBridge is off, so no Tidemark Deployment event would reach the promoter. Set notifications.eventBridge: true in tidemark.config.yaml',
    );
    expect(() => promoter(exampleConfig(), { timeout: Duration.seconds(5) })).toThrow(
      'Promoter: timeout must be from 10 seconds to 15 minutes, but 5 seconds was given',
    );
  });
});
