import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SlackWebhook } from '../../adapters/alerts/slack-webhook';
import { SnsAlerts } from '../../adapters/alerts/sns-alerts';
import { parseConfigRepoSecret } from '../../adapters/config-repo/credentials';
import { EventBridgeDeployments } from '../../adapters/events/eventbridge-deployments';
import { FlushQueue } from '../../adapters/events/flush-queue';
import { GitHubDeployments } from '../../adapters/github/github-deployments';
import { VersionedItems } from '../../adapters/state/versioned-items';
import type { FunctionEnv } from '../function-env';
import type { NotifierDeps } from './notify';

/**
 * The notifier's adapters, from the function's environment: built once per container, so Slack webhooks (one per
 * secret) and the GitHub client (the config repo's credentials, read on first use and again after a failure) are
 * reused between invocations.
 */
export function notifierDeps(env: FunctionEnv, sqs: SQSClient): NotifierDeps {
  const { notifications, configRepo, alerts } = env.config;
  if (!env.flushQueueUrl) {
    throw new Error(
      'TIDEMARK_FLUSH_QUEUE_URL: is not set. The CDK stack sets it to the notifier flush queue; export it when running the handler locally',
    );
  }
  const slackWebhooks = new Map<string, SlackWebhook>();
  let github: Promise<GitHubDeployments> | undefined;
  const gitHub = (): Promise<GitHubDeployments> => {
    github ??= getSecret(configRepo.authSecretName, { maxAge: 300 }).then(
      (secret) =>
        new GitHubDeployments({ repoUrl: configRepo.url, credentials: parseConfigRepoSecret(configRepo, secret) }),
    );
    github.catch(() => {
      github = undefined;
    });
    return github;
  };
  return {
    items: new VersionedItems(env.tableName, new DynamoDBClient({})),
    settings: notifications,
    alertsSlackSecret: alerts.slackWebhookSecretName,
    // A Lambda must not sleep long on Slack's Retry-After: the message is retried from the queue instead.
    slack: (secret) => {
      let webhook = slackWebhooks.get(secret);
      if (!webhook) {
        webhook = SlackWebhook.fromSecret(secret, { maxAttempts: 3, maxDelayMs: 5_000 });
        slackWebhooks.set(secret, webhook);
      }
      return webhook;
    },
    sns: env.alertsTopicArn ? new SnsAlerts(env.alertsTopicArn) : undefined,
    github:
      configRepo.provider === 'github' && (notifications.github.commitStatuses || notifications.github.deployments)
        ? {
            ...notifications.github,
            setCommitStatus: async (...args) => (await gitHub()).setCommitStatus(...args),
            deploymentFor: async (...args) => (await gitHub()).deploymentFor(...args),
            setDeploymentState: async (...args) => (await gitHub()).setDeploymentState(...args),
          }
        : undefined,
    eventBridge: notifications.eventBridge ? new EventBridgeDeployments() : undefined,
    flushes: new FlushQueue(env.flushQueueUrl, sqs),
    now: () => new Date(),
  };
}
