import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { renderAlertKey } from '../core/state/state-keys';
import { Alerts } from './alerts';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { Hydrator } from './hydrator';
import { State } from './state';
import { SyncQueue } from './sync-queue';
import { WebhookReceiver } from './webhook-receiver';

function hydrator() {
  const config = exampleConfig();
  const stack = constructTestStack();
  const state = new State(stack, 'State');
  const webhook = new WebhookReceiver(stack, 'Webhook', { config, state, entry: fixtureEntry });
  const syncQueues = config.clusters.map((c) => new SyncQueue(stack, `Sync-${c.name}`, { clusterName: c.name }));
  const hydrator = new Hydrator(stack, 'Hydrator', {
    config,
    state,
    configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', config.configRepo.authSecretName),
    alerts: new Alerts(stack, 'Alerts'),
    syncQueues,
    entry: fixtureEntry,
  });
  hydrator.acceptPushesFrom(webhook);
  return { stack, template: Template.fromStack(stack) };
}

describe('Hydrator', () => {
  it("may touch only the render alert state of its config repo's targets in the State table", () => {
    const { template } = hydrator();
    const keys = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('HydratorHandlerRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')))
      .map((s: { Condition: Record<string, Record<string, unknown>> }) => s.Condition);
    // sha256('https://github.com/acme/platform-config.git'), first 12 hex digits: the repo's part of every key.
    expect(keys).toEqual([
      {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [renderAlertKey(exampleConfig().configRepo.url, '*')] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
      },
    ]);
    expect(renderAlertKey(exampleConfig().configRepo.url, '*')).toMatch(/^render-alert#[0-9a-f]{12}#\*$/);
  });

  it('reads one push at a time from a FIFO queue with a dead-letter queue', () => {
    const { template } = hydrator();
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      VisibilityTimeout: 1800,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HydratorDeadLetterQueue'), 'Arn'] },
        maxReceiveCount: 3,
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HydratorQueue'), 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('renders with the pinned kustomize and Helm layers, and alerts on the deployment topic', () => {
    const { template } = hydrator();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Tidemark: renders the dry sources'),
      Layers: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('^HydratorKustomize') })]),
      Environment: {
        Variables: Match.objectLike({
          TIDEMARK_KUSTOMIZE: Match.stringLikeRegexp('kustomize$'),
          TIDEMARK_HELM: Match.stringLikeRegexp('helm$'),
          TIDEMARK_ALERTS_TOPIC_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('lets the webhook send pushes to its queue, and nothing else', () => {
    const { template } = hydrator();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Tidemark: verifies Git webhooks'),
      Environment: {
        Variables: Match.objectLike({ TIDEMARK_HYDRATE_QUEUE_URL: { Ref: Match.stringLikeRegexp('^HydratorQueue') } }),
      },
    });
    const webhookPolicies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('WebhookHandler'),
    );
    const statements = webhookPolicies.flatMap(
      ([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const toHydrator = statements.filter((s) => JSON.stringify(s.Resource).includes('HydratorQueue'));
    expect(toHydrator.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    expect(
      toHydrator
        .flatMap((s) => [s.Action].flat())
        .every((a) => a.startsWith('sqs:Send') || a.startsWith('sqs:Get') || a.startsWith('kms:')),
    ).toBe(true);
  });

  it('refuses a timeout outside what a render needs and Lambda allows', () => {
    const config = exampleConfig();
    const stack = constructTestStack();
    expect(
      () =>
        new Hydrator(stack, 'Hydrator', {
          config,
          state: new State(stack, 'State'),
          configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', config.configRepo.authSecretName),
          alerts: new Alerts(stack, 'Alerts'),
          timeout: Duration.seconds(10),
          entry: fixtureEntry,
        }),
    ).toThrow('Hydrator: timeout must be from 30 seconds to 15 minutes, but 10 seconds was given');
  });
});
