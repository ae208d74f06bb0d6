import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { claimKey, claimLedgers } from '../core/state/state-keys';
import { skipCheckov, sqsManagedEncryption } from './checkov-skip';
import {
  eventPatternValues,
  isOtherRegion,
  parseEcrRepositorySelector,
  repositoryArns,
} from './ecr-repository-selector';
import { FunctionSchedule } from './function-schedule';
import { type HandledFailure, powertoolsCount } from './observability';
import type { State } from './state';
import { type SyncQueue, syncQueueUrls } from './sync-queue';
import { TidemarkFunction } from './tidemark-function';

/** `detail-type` of the scheduled event that asks the image updater to catch up (an SQS batch is the other kind). */
export const imageCatchUpDetailType = 'Tidemark Image Catch-Up';

export interface ImageUpdaterProps {
  /** The validated deployment config: `images.ecrRepositories`, `configRepo` and `schedules.imageCatchUp`. */
  readonly config: DeploymentConfig;
  /** The shared table, for idempotency records (a redelivered push makes no second commit). */
  readonly state: State;
  /** Credentials of the config repo (`configRepo.authSecretName`), read at run time. */
  readonly configRepoSecret: ISecret;
  /**
   * Sync queues to nudge after a commit, so agents pull at once instead of at their next poll.
   * @default - none; agents pick the commit up on their own interval
   */
  readonly syncQueues?: SyncQueue[];
  /**
   * Handler file, relative to the checkout.
   * @default 'functions/image-updater/handler.ts'
   */
  readonly entry?: string;
  /**
   * Long enough for a read, a plan and a few commit retries against a busy branch.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;
  /**
   * Deliveries of one push after which it moves to the dead-letter queue. Conflicts are retried inside one delivery,
   * so repeated failure means a malformed event or a broken policy file.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * Copies of the function that may run at once.
   * @default 2
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * ECR push → commit. An EventBridge rule matches successful pushes to the configured repositories and puts them on
 * a FIFO queue in one message group per config repo, so commits to one repo are made one at a time in push order;
 * the function reports partial batch failures, and what keeps failing lands in the dead-letter queue. A schedule
 * invokes the same function to re-check every policy against ECR, catching up any event that was missed.
 */
export class ImageUpdater extends Construct {
  readonly handler: TidemarkFunction;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly rule: Rule;
  readonly catchUpSchedule: FunctionSchedule;

  constructor(scope: Construct, id: string, props: ImageUpdaterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const selectors = props.config.images.ecrRepositories.map((entry, i) =>
      parseEcrRepositorySelector(entry, `images.ecrRepositories[${i}]`),
    );
    for (const s of selectors.filter((s) => isOtherRegion(s, stack))) {
      Annotations.of(this).addWarningV2(
        'tidemark:ecr-other-region',
        `${s.arn} is in another region: its push events reach this stack only if that region's default event bus forwards them here. The catch-up schedule still covers it.`,
      );
    }
    const timeout = props.timeout ?? Duration.minutes(2);
    if (timeout.toSeconds() < 10 || timeout.toSeconds() > 900) {
      throw new Error(`${id}: timeout must be from 10 seconds to 15 minutes, but ${timeout.toHumanString()} was given`);
    }
    const maxReceiveCount = props.maxReceiveCount ?? 3;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new Error(`${id}: maxReceiveCount must be 1 or more, but ${maxReceiveCount} was given`);
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      fifo: true,
      // EventBridge gives each event its own id and time, so only a redelivery of the same event is dropped here.
      contentBasedDeduplication: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a Lambda event source: six times the function timeout, so retries of a batch do not overlap.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    this.rule = new Rule(this, 'EcrPushRule', {
      description: 'Tidemark: successful ECR pushes to the watched repositories',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': eventPatternValues(selectors),
        },
      },
    });
    this.rule.addTarget(new SqsQueue(this.queue, { messageGroupId: messageGroupFor(props.config.configRepo.url) }));

    this.handler = new TidemarkFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/image-updater/handler.ts',
      serviceName: 'image-updater',
      description: 'Tidemark: moves manifests in the config repo to newly pushed ECR images',
      config: props.config,
      state: props.state,
      // The claim ledger of ECR events, and nothing else of the table.
      stateKeys: [claimKey(claimLedgers.imageEvents, '*')],
      syncQueueUrls: syncQueueUrls(props.syncQueues ?? []),
      timeout,
      memorySize: 1024,
      // The FIFO queue already serialises commits per config repo. Two lets the catch-up run overlap a batch
      // (optimistic concurrency settles any conflict) and caps the GitHub API calls a burst of pushes can make.
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 2,
    });
    this.handler.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    this.handler.function.addToRolePolicy(
      new PolicyStatement({ actions: ['ecr:DescribeImages'], resources: repositoryArns(selectors, stack) }),
    );
    props.configRepoSecret.grantRead(this.handler);
    for (const queue of props.syncQueues ?? []) queue.grantSendSyncRequest(this.handler);

    this.catchUpSchedule = new FunctionSchedule(this, 'CatchUpSchedule', {
      function: this.handler.function,
      expression: props.config.schedules.imageCatchUp,
      detailType: imageCatchUpDetailType,
      description: 'Tidemark: re-checks every image policy against ECR',
      maxEventAge: Duration.minutes(5),
    });
    skipCheckov(this.queue, sqsManagedEncryption);
    skipCheckov(this.deadLetterQueue, sqsManagedEncryption);
  }

  /**
   * Updates given up on for this delivery (the events are retried, then dead-lettered). From
   * `functions/image-updater/handler.ts`: `ImageEvents` with `outcome: failed`.
   */
  handledFailures(): HandledFailure[] {
    return [
      {
        id: 'ImageUpdateFailed',
        metric: powertoolsCount(this.handler.serviceName, 'ImageEvents', { outcome: 'failed' }),
        description:
          'Tidemark image updater: an image update failed and will be retried. The image updater log group has the reason (config repo access, a policy file, a conflict that kept recurring).',
      },
    ];
  }
}

/**
 * The FIFO message group of a config repo: one group per repo serialises its commits while other repos (another
 * Tidemark stack sharing nothing but the account) proceed. Host and path, within SQS's 128-character limit.
 */
export function messageGroupFor(configRepoUrl: string): string {
  const url = new URL(configRepoUrl);
  return `${url.host}${url.pathname.replace(/\.git$/, '')}`.slice(0, 128);
}
