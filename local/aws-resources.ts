import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient, RepositoryAlreadyExistsException } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { deploymentDetailType, deploymentEventSource } from '../adapters/events/eventbridge-deployments';
import type { LocalEnvironment, LocalResources } from './environment';
import { createQueueWithDlq, queueArn } from './queue-with-dlq';

/**
 * Creates in moto the AWS resources the CDK stack creates in a real account, so the handlers run unchanged locally.
 * Names follow infra/. Idempotent: an existing resource is reused.
 */
export async function createLocalResources(
  aws: LocalEnvironment['aws'],
  clusters: string[],
  secretValues: { gitUsername: string; gitPassword: string; slackWebhookUrl: string },
): Promise<LocalResources> {
  const config = {
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  };
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const ddb = new DynamoDBClient(config);
  const ecr = new ECRClient(config);
  const secrets = new SecretsManagerClient(config);
  const events = new EventBridgeClient(config);

  // The stack's redrive: five receives, then the dead-letter queue.
  const queueWithDlq = (name: string, fifo: boolean) =>
    createQueueWithDlq(sqs, { name, fifo, maxReceiveCount: 5, visibilityTimeoutSeconds: 60 });

  const tableName = 'tidemark-state';
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      }),
    );
  } catch (e) {
    if ((e as Error).name !== 'ResourceInUseException') throw e;
  }

  const images = await queueWithDlq('tidemark-image-events', true);
  const syncQueueUrls: Record<string, string> = {};
  const syncDlqUrls: Record<string, string> = {};
  for (const cluster of clusters) {
    const q = await queueWithDlq(`tidemark-sync-${cluster}`, false);
    syncQueueUrls[cluster] = q.url;
    syncDlqUrls[cluster] = q.dlqUrl;
  }

  // Deployment events (infra/events-queue.ts): a FIFO queue per cluster that its agent sends to, one FIFO dead-letter
  // queue for all of them (the notifier also puts a malformed event there with its reason), and the notifier's delay
  // queue for folded messages.
  const eventsDlqUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: 'tidemark-events-dlq.fifo',
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
      }),
    )
  ).QueueUrl!;
  const eventsQueueUrls: Record<string, string> = {};
  for (const cluster of clusters) {
    eventsQueueUrls[cluster] = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: `tidemark-events-${cluster}.fifo`,
          Attributes: {
            FifoQueue: 'true',
            ContentBasedDeduplication: 'false',
            VisibilityTimeout: '60',
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: await queueArn(sqs, eventsDlqUrl),
              maxReceiveCount: 5,
            }),
          },
        }),
      )
    ).QueueUrl!;
  }
  const flush = await queueWithDlq('tidemark-notifier-flush', false);
  // What users' rules see on the default bus: a rule for `Tidemark Deployment` events into a queue tests can read.
  const deploymentsInboxQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'tidemark-deployments-inbox' })))
    .QueueUrl!;
  await events.send(
    new PutRuleCommand({
      Name: 'tidemark-deployments-inbox',
      EventPattern: JSON.stringify({ source: [deploymentEventSource], 'detail-type': [deploymentDetailType] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: 'tidemark-deployments-inbox',
      Targets: [{ Id: 'inbox', Arn: await queueArn(sqs, deploymentsInboxQueueUrl) }],
    }),
  );

  // The promoter's queue (infra/promoter.ts): `Tidemark Deployment` and `ECR Image Scan` events from the default bus,
  // and the promoter's own delayed wake-ups, with a dead-letter queue.
  const promoter = await queueWithDlq('tidemark-promoter', false);
  const promoterRules = [
    {
      name: 'tidemark-promoter-deployments',
      pattern: { source: [deploymentEventSource], 'detail-type': [deploymentDetailType] },
    },
    { name: 'tidemark-promoter-scans', pattern: { source: ['aws.ecr'], 'detail-type': ['ECR Image Scan'] } },
  ];
  for (const rule of promoterRules) {
    await events.send(new PutRuleCommand({ Name: rule.name, EventPattern: JSON.stringify(rule.pattern) }));
    await events.send(
      new PutTargetsCommand({ Rule: rule.name, Targets: [{ Id: 'promoter', Arn: await queueArn(sqs, promoter.url) }] }),
    );
  }

  const alertsTopicArn = (await sns.send(new CreateTopicCommand({ Name: 'tidemark-alerts' }))).TopicArn!;
  const alertsInboxQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'tidemark-alerts-inbox' })))
    .QueueUrl!;
  await sns.send(
    new SubscribeCommand({
      TopicArn: alertsTopicArn,
      Protocol: 'sqs',
      Endpoint: await queueArn(sqs, alertsInboxQueueUrl),
    }),
  );

  let ecrRepositoryUri: string;
  try {
    ecrRepositoryUri = (await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }))).repository!
      .repositoryUri!;
  } catch (e) {
    if (!(e instanceof RepositoryAlreadyExistsException)) throw e;
    ecrRepositoryUri = `${aws.accountId}.dkr.ecr.${aws.region}.amazonaws.com/web`;
  }

  const secretNames = {
    configRepo: 'tidemark/config-repo',
    webhook: 'tidemark/webhook',
    slack: 'tidemark/slack',
    driftCacheKey: 'tidemark/drift-cache-key',
  };
  const putSecret = async (name: string, value: string) => {
    try {
      await secrets.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    } catch (e) {
      if ((e as Error).name !== 'ResourceExistsException') throw e;
    }
  };
  await putSecret(
    secretNames.configRepo,
    JSON.stringify({ username: secretValues.gitUsername, token: secretValues.gitPassword }),
  );
  await putSecret(secretNames.webhook, randomBytes(20).toString('hex'));
  await putSecret(secretNames.slack, secretValues.slackWebhookUrl);
  await putSecret(secretNames.driftCacheKey, randomBytes(32).toString('base64url'));

  return {
    tableName,
    imageEventsQueueUrl: images.url,
    imageEventsDlqUrl: images.dlqUrl,
    syncQueueUrls,
    syncDlqUrls,
    eventsQueueUrls,
    eventsDlqUrl,
    flushQueueUrl: flush.url,
    flushDlqUrl: flush.dlqUrl,
    deploymentsInboxQueueUrl,
    promoterQueueUrl: promoter.url,
    promoterDlqUrl: promoter.dlqUrl,
    alertsTopicArn,
    alertsInboxQueueUrl,
    ecrRepositoryUri,
    secrets: secretNames,
  };
}
