import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deploymentDetailType, deploymentEventSource } from '../adapters/events/eventbridge-deployments';
import type { DeploymentConfig } from '../core/config/deployment-config';
import {
  deploySyncKey,
  promoteEvidenceKey,
  promoteScanKey,
  promoteStageKey,
  promoteWakeKey,
} from '../core/state/state-keys';
import type { Alerts } from './alerts';
import { skipCheckov, sqsManagedEncryption } from './checkov-skip';
import { eventPatternValues, parseEcrRepositorySelector, repositoryArns } from './ecr-repository-selector';
import { FunctionSchedule } from './function-schedule';
import type { State } from './state';
import { type SyncQueue, syncQueueUrls } from './sync-queue';
import { TidemarkFunction } from './tidemark-function';

/** `detail-type` of the scheduled event that asks the promoter to look again (scans missed, soaks ended, windows). */
export const promoterScheduleDetailType = 'Tidemark Promotion Check';

export interface PromoterProps {
  /**
   * The validated deployment config: the config repo (where `.tidemark/promotions.yaml` lives), the clusters, and
   * `images.ecrRepositories` (whose scans are gates). `notifications.eventBridge` must be on: the promoter learns of
   * deployments from the `Tidemark Deployment` events the notifier puts on the default bus.
   */
  readonly config: DeploymentConfig;
  /** The shared table: the promoter's evidence, scan verdicts and per-stage ledger (`promote-…` records). */
  readonly state: State;
  /** Credentials of the config repo, read at run time to commit promotions (and set gate statuses on GitHub). */
  readonly configRepoSecret: ISecret;
  /**
   * Where a blocked promotion is told (once per candidate and gate): the alerts topic.
   * @default - blocked promotions are logged, set as commit statuses and shown by `tidemark promotions` only
   */
  readonly alerts?: Alerts;
  /**
   * Sync queues to nudge after a promotion commit, so the stage's agent pulls at once.
   * @default - none; agents pick the commit up on their own interval
   */
  readonly syncQueues?: SyncQueue[];
  /**
   * How often the promoter looks again without an event: catches up a missed `ECR Image Scan` event
   * (`DescribeImageScanFindings`) and a missed wake-up. Soak ends and window openings are also met by delayed
   * wake-ups within seconds, so this is a safety net, not the clock.
   * @default 'rate(5 minutes)'
   */
  readonly schedule?: string;
  /**
   * Handler file, relative to the checkout.
   * @default 'functions/promoter/handler.ts'
   */
  readonly entry?: string;
  /**
   * A run reads two files, a few records and may commit (with the image updater's retries on a moved branch).
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Receives after which a message the promoter keeps failing on moves to the dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
}

/**
 * Promotion between stages, gated by evidence (DESIGN.md, "Promotion"). Two EventBridge rules feed one queue:
 * `Tidemark Deployment` events (the notifier's, on the default bus) and `ECR Image Scan` events of the watched
 * repositories; the promoter also puts its own delayed wake-ups there. A schedule invokes it to catch up. What it
 * cannot handle reaches a dead-letter queue. It may describe images and scan findings of the watched repositories,
 * read the config repo secret, send to its own queue and the sync queues, and nothing else.
 */
export class Promoter extends Construct {
  readonly handler: TidemarkFunction;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly deploymentRule: Rule;
  readonly scanRule: Rule;
  readonly checkSchedule: FunctionSchedule;

  constructor(scope: Construct, id: string, props: PromoterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!props.config.notifications.eventBridge) {
      throw new Error(
        `${id}: notifications.eventBridge is off, so no Tidemark Deployment event would reach the promoter. Set notifications.eventBridge: true in tidemark.config.yaml`,
      );
    }
    const timeout = props.timeout ?? Duration.minutes(1);
    if (timeout.toSeconds() < 10 || timeout.toSeconds() > 900) {
      throw new Error(`${id}: timeout must be from 10 seconds to 15 minutes, but ${timeout.toHumanString()} was given`);
    }
    const maxReceiveCount = props.maxReceiveCount ?? 3;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new Error(`${id}: maxReceiveCount must be 1 or more, but ${maxReceiveCount} was given`);
    }
    const selectors = props.config.images.ecrRepositories.map((entry, i) =>
      parseEcrRepositorySelector(entry, `images.ecrRepositories[${i}]`),
    );

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Evidence is worth a day at most; the schedule and the next events cover anything older.
      retentionPeriod: Duration.days(1),
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    skipCheckov(this.queue, sqsManagedEncryption);
    skipCheckov(this.deadLetterQueue, sqsManagedEncryption);

    this.deploymentRule = new Rule(this, 'DeploymentRule', {
      description: 'Tidemark: deployment events, the evidence of promotions',
      eventPattern: { source: [deploymentEventSource], detailType: [deploymentDetailType] },
    });
    this.deploymentRule.addTarget(new SqsQueue(this.queue));
    this.scanRule = new Rule(this, 'ScanRule', {
      description: 'Tidemark: ECR scan results of the watched repositories, a promotion gate',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Scan'],
        detail: { 'repository-name': eventPatternValues(selectors) },
      },
    });
    this.scanRule.addTarget(new SqsQueue(this.queue));

    this.handler = new TidemarkFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/promoter/handler.ts',
      serviceName: 'promoter',
      description: 'Tidemark: promotes a digest to the next stage when the previous proved it and every gate is open',
      config: props.config,
      state: props.state,
      // Its evidence, scan verdicts, stage ledgers and wake-ups, and the notifier's Sync records, from which the
      // scheduled run catches up deployment events it missed.
      stateKeys: [
        promoteEvidenceKey('*'),
        promoteScanKey('*', '*'),
        promoteStageKey('*', '*'),
        promoteWakeKey('*'),
        deploySyncKey('*', '*'),
      ],
      syncQueueUrls: syncQueueUrls(props.syncQueues ?? []),
      ...(props.alerts ? { alertsTopicArn: props.alerts.topic.topicArn } : {}),
      timeout,
      memorySize: 1024,
      // One writer at a time keeps promotions in order; the stage ledger makes an overlap harmless anyway.
      reservedConcurrentExecutions: 2,
    });
    const fn = this.handler.function;
    fn.addEnvironment('TIDEMARK_PROMOTER_QUEUE_URL', this.queue.queueUrl);
    fn.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }),
    );
    this.queue.grantSendMessages(fn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ecr:DescribeImageScanFindings', 'ecr:DescribeImages'],
        resources: repositoryArns(selectors, stack),
      }),
    );
    props.configRepoSecret.grantRead(this.handler);
    for (const queue of props.syncQueues ?? []) queue.grantSendSyncRequest(this.handler);
    if (props.alerts) {
      props.alerts.grantSend(this.handler);
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to an encrypted topic needs GenerateDataKey* on its key; the statement names that one key.',
      });
    }

    this.checkSchedule = new FunctionSchedule(this, 'CheckSchedule', {
      function: fn,
      expression: props.schedule ?? 'rate(5 minutes)',
      detailType: promoterScheduleDetailType,
      description: 'Tidemark: looks again at every promotion gate',
      maxEventAge: Duration.minutes(5),
    });
  }
}
