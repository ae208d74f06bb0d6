import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { validateDeploymentConfig } from '../core/config/deployment-config';
import { Alerts } from './alerts';
import { DeploymentEvents } from './deployment-events';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { leadingKeysOf } from './fixtures/leading-keys';
import { Notifier } from './notifier';
import { State } from './state';

function notifier(config = exampleConfig(), props: { timeout?: Duration } = {}) {
  const stack = constructTestStack();
  const events = new DeploymentEvents(stack, 'Events', { clusterNames: config.clusters.map((c) => c.name) });
  const n = new Notifier(stack, 'Notifier', {
    config,
    events,
    state: new State(stack, 'State'),
    alerts: new Alerts(stack, 'Alerts', { slackWebhookSecretName: config.alerts.slackWebhookSecretName }),
    configRepoSecret: Secret.fromSecretNameV2(stack, 'Repo', config.configRepo.authSecretName),
    entry: fixtureEntry,
    ...props,
  });
  return { stack, events, notifier: n, template: Template.fromStack(stack) };
}

const statements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );

describe('Notifier', () => {
  it('may touch only its records of Syncs, storms and GitHub states in the State table, of every cluster', () => {
    expect(leadingKeysOf(notifier().template)).toEqual([
      'deploy-sync#*#*',
      'deploy-storm#*',
      'deploy-github#*#*',
      'deploy-github#*',
    ]);
  });

  it('consumes every events queue and its flush queue, reporting partial batch failures', () => {
    const { template } = notifier();
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    template.allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 6,
      Environment: {
        Variables: Match.objectLike({
          TIDEMARK_FLUSH_QUEUE_URL: { Ref: Match.stringLikeRegexp('^NotifierFlushQueue') },
          TIDEMARK_EVENTS_DLQ_URL: { Ref: Match.stringLikeRegexp('^EventsDeadLetterQueue') },
        }),
      },
    });
  });

  it('may put events on the default bus, read the config repo secret for GitHub, and publish alerts', () => {
    const { template } = notifier();
    const actions = statements(template).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['events:PutEvents', 'sns:Publish', 'secretsmanager:GetSecretValue', 'sqs:SendMessage']),
    );
    const put = statements(template).find((s) => [s.Action].flat().includes('events:PutEvents'));
    expect(JSON.stringify(put?.Resource)).toContain(':event-bus/default');
  });

  it('reads the Slack webhooks routes name, and no GitHub secret when the config repo is not on GitHub', () => {
    const config = validateDeploymentConfig({
      ...exampleConfig(),
      configRepo: { ...exampleConfig().configRepo, provider: 'git' },
      notifications: { routes: [{ channels: ['slack', { slack: 'team/payments-slack' }] }], eventBridge: false },
    });
    const { template } = notifier(config);
    const resources = JSON.stringify(
      statements(template).filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue')),
    );
    expect(resources).toContain('secret:team/payments-slack');
    expect(resources).toContain('AlertsSlackWebhookSecret');
    expect(resources).not.toContain('secret:tidemark/config-repo');
    expect(statements(template).flatMap((s) => [s.Action].flat())).not.toContain('events:PutEvents');
  });

  it('keeps a timeout it can honour, saying which it was given', () => {
    expect(() => notifier(exampleConfig(), { timeout: Duration.minutes(5) })).toThrow(
      'Notifier: timeout must be from 5 to 60 seconds, but 5 minutes was given',
    );
  });
});
