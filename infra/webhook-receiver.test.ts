import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionEnv } from '../functions/function-env';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { deployedEnvironment } from './fixtures/function-environment';
import { leadingKeysOf } from './fixtures/leading-keys';
import { State } from './state';
import { WebhookReceiver } from './webhook-receiver';

function receiver(options: { createSecret?: boolean } = {}) {
  const stack = constructTestStack();
  const webhook = new WebhookReceiver(stack, 'Webhook', {
    config: exampleConfig(),
    state: new State(stack, 'State'),
    entry: fixtureEntry,
    ...options,
  });
  return { stack, webhook, template: Template.fromStack(stack) };
}

describe('WebhookReceiver', () => {
  it('may touch only its claim ledgers of deliveries and pushes in the State table', () => {
    expect(leadingKeysOf(receiver().template)).toEqual(['webhook-delivery#*', 'webhook-push#*']);
  });

  it('serves a Function URL with auth NONE, because the handler verifies the provider signature itself', () => {
    const { template } = receiver();
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
  });

  it('has one sync queue per cluster, each with its own dead-letter queue', () => {
    const { webhook, template } = receiver();
    expect(webhook.syncQueues.map((q) => q.clusterName)).toEqual(['dev', 'prod']);
    // 2 sync queues + 2 dead-letter queues.
    template.resourceCountIs('AWS::SQS::Queue', 4);
    for (const q of webhook.syncQueues) {
      const stack = q.queue.stack;
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: {
            'Fn::GetAtt': [stack.getLogicalId(q.deadLetterQueue.node.defaultChild as never), 'Arn'],
          },
          maxReceiveCount: 5,
        },
      });
    }
  });

  it('gives the function the environment functions/function-env.ts reads: the sync queue of each cluster by name', () => {
    const { stack, webhook } = receiver();
    const env = functionEnv(deployedEnvironment(stack, webhook.handler));
    expect(env.syncQueueUrls).toEqual({
      dev: expect.stringMatching(/^https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\/WebhookSyncQueuedevQueue/),
      prod: expect.stringMatching(/\/WebhookSyncQueueprodQueue/),
    });
    expect(env.tableName).toMatch(/^StateTable/);
    expect(env.config).toEqual(exampleConfig());
    expect(env.alertsTopicArn).toBeUndefined();
  });

  it('creates the webhook secret with a generated value and lets only the function read it', () => {
    const { template } = receiver();
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'tidemark/webhook',
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('^WebhookSecret') },
          }),
        ]),
      },
    });
  });

  it('references an existing secret by name when asked, and creates none', () => {
    const { template } = receiver({ createSecret: false });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('may send to every sync queue but not receive from them', () => {
    const { template } = receiver();
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const actions = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: { Action: string | string[] }) => s.Action);
    expect(actions).toContain('sqs:SendMessage');
    expect(actions).not.toContain('sqs:ReceiveMessage');
    expect(actions).not.toContain('sqs:DeleteMessage');
  });

  it('caps its concurrency, since the URL is public', () => {
    const { template } = receiver();
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 10 });
  });

  it('refuses a timeout longer than providers wait', () => {
    const stack = constructTestStack();
    expect(
      () =>
        new WebhookReceiver(stack, 'Webhook', {
          config: exampleConfig(),
          state: new State(stack, 'State'),
          entry: fixtureEntry,
          timeout: Duration.minutes(1),
        }),
    ).toThrow(
      'Webhook: timeout must be from 1 to 30 seconds (providers stop waiting after about 10), but 1 minute was given',
    );
  });

  it('names the known clusters when asked for the queue of an unknown one', () => {
    const { webhook } = receiver();
    expect(() => webhook.syncQueue('staging')).toThrow(
      "No sync queue for cluster 'staging'. Add it to clusters in tidemark.config.yaml (known: dev, prod)",
    );
  });
});
