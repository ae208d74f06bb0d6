import { Duration, Validations } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { slackSecretsOf } from '../core/notify/route-event';
import { deployCommitKey, deployEnvironmentKey, deployStormKey, deploySyncKey } from '../core/state/state-keys';
import type { Alerts } from './alerts';
import { skipCheckov, sqsManagedEncryption } from './checkov-skip';
import type { DeploymentEvents } from './deployment-events';
import { type HandledFailure, powertoolsCount } from './observability';
import type { State } from './state';
import { TidemarkFunction } from './tidemark-function';

export interface NotifierProps {
  /** The validated deployment config: `notifications` (routes, folding, GitHub, EventBridge) and the config repo. */
  readonly config: DeploymentConfig;
  /** The agents' events queues, which the notifier consumes. */
  readonly events: DeploymentEvents;
  /** The shared table: each Sync's transition state, storms, and what GitHub was told (`deploy-…` records). */
  readonly state: State;
  /** The alerts topic and the alerts Slack webhook. */
  readonly alerts: Alerts;
  /**
   * Credentials of the config repo, read for GitHub commit statuses and Deployments (provider `github` only).
   * @default - no GitHub calls
   */
  readonly configRepoSecret?: ISecret;
  /**
   * Handler file, relative to the checkout.
   * @default 'functions/notifier/handler.ts'
   */
  readonly entry?: string;
  /**
   * Each event is a few DynamoDB writes and one call per channel; Slack's retries are capped at a few seconds, and what
   * does not go through is retried from the queue.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/**
 * Deployment events → people and automation. The notifier consumes every cluster's events queue (FIFO: one Sync's
 * events in order) and decides, with each Sync's transition state in the State table, what is news: Slack and SNS on
 * transitions only, one "deployed" per revision, "recovered" after a failure, many failures of one cause folded into
 * one message; GitHub commit statuses and Deployments; `Tidemark Deployment` on the default EventBridge bus. Its own
 * flush queue is a delay line for folded messages.
 */
export class Notifier extends Construct {
  readonly handler: TidemarkFunction;
  readonly flushQueue: Queue;
  readonly flushDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(30);
    if (timeout.toSeconds() < 5 || timeout.toSeconds() > 60) {
      throw new Error(`${id}: timeout must be from 5 to 60 seconds, but ${timeout.toHumanString()} was given`);
    }
    const { notifications, configRepo, alerts } = props.config;

    this.flushDeadLetterQueue = new Queue(this, 'FlushDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.flushQueue = new Queue(this, 'FlushQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(1),
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.flushDeadLetterQueue, maxReceiveCount: 5 },
    });
    skipCheckov(this.flushQueue, sqsManagedEncryption);
    skipCheckov(this.flushDeadLetterQueue, sqsManagedEncryption);

    this.handler = new TidemarkFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/notifier/handler.ts',
      serviceName: 'notifier',
      description: 'Tidemark: turns deployment events into Slack, SNS, GitHub and EventBridge notifications',
      config: props.config,
      state: props.state,
      // Its records of Syncs, storms and GitHub commit statuses, of any cluster: the events queue of each cluster
      // feeds it, and a storm's key is a hash of its cause.
      stateKeys: [deploySyncKey('*', '*'), deployStormKey('*'), deployCommitKey('*', '*'), deployEnvironmentKey('*')],
      alertsTopicArn: props.alerts.topic.topicArn,
      timeout,
      memorySize: 256,
      // Two invocations per queue, the least an SQS event source runs: enough for a burst (20 Syncs of one cluster
      // failing at once fold in one storm record), and it keeps a storm of events within Slack's and GitHub's limits.
      reservedConcurrentExecutions: 2 * (props.events.queues.size + 1),
    });
    const fn = this.handler.function;
    fn.addEnvironment('TIDEMARK_FLUSH_QUEUE_URL', this.flushQueue.queueUrl);
    fn.addEnvironment('TIDEMARK_EVENTS_DLQ_URL', props.events.deadLetterQueue.queueUrl);
    for (const queue of props.events.queues.values()) {
      fn.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));
    }
    fn.addEventSource(
      new SqsEventSource(this.flushQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
    this.flushQueue.grantSendMessages(fn);
    props.events.deadLetterQueue.grantSendMessages(fn);

    props.alerts.grantSend(this.handler);
    // Webhooks a route names beside the alerts one: read by name at run time, never in the environment.
    const extraSecrets = slackSecretsOf(notifications, alerts.slackWebhookSecretName).filter(
      (name) => name !== alerts.slackWebhookSecretName,
    );
    for (const name of extraSecrets) {
      Secret.fromSecretNameV2(this, `SlackWebhook-${name.replace(/[^A-Za-z0-9]/g, '-')}`, name).grantRead(fn);
    }
    const github =
      configRepo.provider === 'github' && (notifications.github.commitStatuses || notifications.github.deployments);
    if (github && props.configRepoSecret) props.configRepoSecret.grantRead(fn);
    if (notifications.eventBridge) {
      EventBus.fromEventBusName(this, 'DefaultBus', 'default').grantPutEventsTo(fn);
    }
    Validations.of(fn.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'Publishing to an encrypted topic needs GenerateDataKey* on its key; the statement names that one key.',
    });
  }

  /**
   * Events and folded messages the notifier could not deliver (it retries them from the queue; what keeps failing
   * reaches a dead-letter queue). From `functions/notifier/handler.ts`: `DeploymentEvents` with `outcome: failed`.
   */
  handledFailures(): HandledFailure[] {
    return [
      {
        id: 'NotificationFailed',
        metric: powertoolsCount(this.handler.serviceName, 'DeploymentEvents', { outcome: 'failed' }),
        description:
          'Tidemark notifier: a deployment event or a folded message could not be delivered to every channel; it is retried from its queue. The notifier log group has the channel and the error.',
      },
    ];
  }
}
