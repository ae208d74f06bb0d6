import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { functionEnv } from '../functions/function-env';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { deployedEnvironment } from './fixtures/function-environment';
import { leadingKeysOf } from './fixtures/leading-keys';
import { ImageUpdater, imageCatchUpDetailType, messageGroupFor } from './image-updater';
import { State } from './state';
import { SyncQueue } from './sync-queue';

function updater(ecrRepositories?: string[]) {
  const base = exampleConfig();
  const config: DeploymentConfig = ecrRepositories ? { ...base, images: { ecrRepositories } } : base;
  const stack = constructTestStack();
  const syncQueues = config.clusters.map((c) => new SyncQueue(stack, `Sync-${c.name}`, { clusterName: c.name }));
  const imageUpdater = new ImageUpdater(stack, 'ImageUpdater', {
    config,
    state: new State(stack, 'State'),
    configRepoSecret: Secret.fromSecretNameV2(stack, 'RepoSecret', config.configRepo.authSecretName),
    syncQueues,
    entry: fixtureEntry,
  });
  return { stack, imageUpdater, template: Template.fromStack(stack) };
}

function statementsOf(template: Template, action: string) {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
    .filter((s) => [s.Action].flat().includes(action));
}

describe('ImageUpdater', () => {
  it('may touch only its claim ledger of ECR events in the State table', () => {
    expect(leadingKeysOf(updater().template)).toEqual(['image-updater#*']);
  });

  it('matches only successful ECR pushes to the watched repositories', () => {
    const { template } = updater();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: { 'action-type': ['PUSH'], result: ['SUCCESS'], 'repository-name': ['web'] },
      },
    });
  });

  it('puts pushes on a FIFO queue in one message group per config repo', () => {
    const { template } = updater();
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImageUpdaterQueue'), 'Arn'] },
          SqsParameters: { MessageGroupId: 'github.com/acme/platform-config' },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: true,
      VisibilityTimeout: 720,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImageUpdaterDeadLetterQueue'), 'Arn'] },
        maxReceiveCount: 3,
      },
    });
    // The dead-letter queue of a FIFO queue must be FIFO too.
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, MessageRetentionPeriod: 1209600 });
  });

  it('lets EventBridge send to the queue only on behalf of this rule', () => {
    const { template } = updater();
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImageUpdaterEcrPushRule'), 'Arn'] },
              },
            },
          }),
        ]),
      },
    });
  });

  it('consumes the queue reporting partial batch failures, so one bad push does not redeliver its batch', () => {
    const { template } = updater();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImageUpdaterQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('may describe images of the watched repositories only', () => {
    const { template } = updater();
    expect(statementsOf(template, 'ecr:DescribeImages')).toEqual([
      {
        Effect: 'Allow',
        Action: 'ecr:DescribeImages',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:123456789012:repository/web']],
        },
      },
    ]);
  });

  it('narrows both the rule and the grant to a prefix, and takes repositories as ARNs', () => {
    const { template } = updater(['team/*', 'arn:aws:ecr:us-east-1:210987654321:repository/shared/base']);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { 'repository-name': [{ prefix: 'team/' }, 'shared/base'] } },
    });
    const [statement] = statementsOf(template, 'ecr:DescribeImages');
    expect(statement!.Resource).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:123456789012:repository/team/*']] },
      'arn:aws:ecr:us-east-1:210987654321:repository/shared/base',
    ]);
  });

  it('runs the catch-up on the configured schedule, invoking the function with the catch-up event', () => {
    const { template } = updater();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImageUpdaterHandlerFunction'), 'Arn'] },
        Input: Match.serializedJson(
          Match.objectLike({ source: 'aws.scheduler', 'detail-type': imageCatchUpDetailType }),
        ),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 },
      },
    });
  });

  it('may read the config repo credentials and nudge every cluster after a commit', () => {
    const { stack, imageUpdater, template } = updater();
    expect(statementsOf(template, 'secretsmanager:GetSecretValue')).toHaveLength(1);
    expect(statementsOf(template, 'sqs:SendMessage')).toHaveLength(2);
    expect(Object.keys(functionEnv(deployedEnvironment(stack, imageUpdater.handler)).syncQueueUrls)).toEqual([
      'dev',
      'prod',
    ]);
  });

  it('rejects an image URI where a repository is expected, and says which repository it means', () => {
    expect(() => updater(['123456789012.dkr.ecr.us-east-1.amazonaws.com/web'])).toThrow(
      "images.ecrRepositories[0]: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web' is not an ECR repository name, prefix or ARN (that is an image URI; its repository is 'web'). Write a name such as 'web'",
    );
  });
});

describe('messageGroupFor', () => {
  it('is the host and path of the config repo, without .git', () => {
    expect(messageGroupFor('https://github.com/acme/platform-config.git')).toBe('github.com/acme/platform-config');
    expect(messageGroupFor('http://127.0.0.1:8080/git/config')).toBe('127.0.0.1:8080/git/config');
  });

  it('stays within the 128 characters SQS allows', () => {
    expect(messageGroupFor(`https://git.example.com/${'a'.repeat(200)}.git`)).toHaveLength(128);
  });
});
