import { Duration } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { renderAlertKey } from '../core/state/state-keys';
import type { Alerts } from './alerts';
import { skipCheckov, sqsManagedEncryption } from './checkov-skip';
import type { ClusterAccess } from './cluster-access';
import { HelmLayer } from './layers/helm-layer';
import { KustomizeLayer } from './layers/kustomize-layer';
import type { State } from './state';
import { type SyncQueue, syncQueueUrls } from './sync-queue';
import { TidemarkFunction } from './tidemark-function';
import type { WebhookReceiver } from './webhook-receiver';

export interface HydratorProps {
  /** The validated deployment config: `configRepo` (the dry branch) and the clusters to nudge after a commit. */
  readonly config: DeploymentConfig;
  /** The shared table: each render target's alert state (`render-alert#…`), so a failure is announced once. */
  readonly state: State;
  /** Credentials of the config repo (`configRepo.authSecretName`): the hydrator reads the dry branch and pushes. */
  readonly configRepoSecret: ISecret;
  /** Where render failures go: the deployment's topic and Slack webhook. */
  readonly alerts: Alerts;
  /**
   * Clusters a pull request preview compares with: the drift scanner's read-only access (LIST and server-side apply
   * dry-run, which the cluster's admission policy keeps from ever writing).
   * @default - none; previews show the rendered diff only
   */
  readonly clusters?: ClusterAccess[];
  /**
   * Sync queues to nudge after a rendered commit, for clusters that apply a rendered branch.
   * @default - none; agents pick the commit up on their own interval
   */
  readonly syncQueues?: SyncQueue[];
  /**
   * Long enough to fetch, render every changed target twice (kustomize, Helm) and commit a few times against a
   * moving branch.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * Renders hold whole manifests in memory, and kustomize and helm run beside the function.
   * @default 2048
   */
  readonly memorySize?: number;
  /**
   * Deliveries of one push after which it moves to the dead-letter queue. A broken overlay is not a failure (it is
   * alerted and committed nothing); repeated failure means git or GitHub kept failing.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /** @default 'functions/hydrator/handler.ts' */
  readonly entry?: string;
}

/**
 * Push to the dry branch → rendered commits. The webhook puts each verified push on a FIFO queue in one message group
 * per config repo, so renders of one repo run one at a time in push order and never race for a rendered branch; the
 * function renders with the same pinned kustomize and Helm layers as the drift scanner (so both read the same bytes),
 * reports partial batch failures, and what keeps failing lands in the dead-letter queue (alarmed by Observability). A
 * target that does not render is not a failure of the function: it is alerted once, with its file, by the function.
 */
export class Hydrator extends Construct {
  readonly handler: TidemarkFunction;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: HydratorProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.minutes(5);
    if (timeout.toSeconds() < 30 || timeout.toSeconds() > 900) {
      throw new Error(`${id}: timeout must be from 30 seconds to 15 minutes, but ${timeout.toHumanString()} was given`);
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
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for a Lambda event source: six times the function timeout, so retries of a batch do not overlap.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    this.handler = new TidemarkFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/hydrator/handler.ts',
      serviceName: 'hydrator',
      description: 'Tidemark: renders the dry sources of .tidemark/render.yaml and commits rendered manifests',
      config: props.config,
      state: props.state,
      // The render alert state of the config repo's targets, and nothing else of the table.
      stateKeys: [renderAlertKey(props.config.configRepo.url, '*')],
      alertsTopicArn: props.alerts.topic.topicArn,
      syncQueueUrls: syncQueueUrls(props.syncQueues ?? []),
      memorySize: props.memorySize ?? 2048,
      timeout,
      // The FIFO group already serialises one repo; two copies let a preview run beside a push.
      reservedConcurrentExecutions: 2,
    });
    this.handler.function.addLayers(new KustomizeLayer(this, 'Kustomize'));
    this.handler.function.addEnvironment('TIDEMARK_KUSTOMIZE', KustomizeLayer.binary);
    this.handler.function.addLayers(new HelmLayer(this, 'Helm'));
    this.handler.function.addEnvironment('TIDEMARK_HELM', HelmLayer.binary);
    // One message at a time: a render is minutes of work at worst, and a batch would hold later pushes behind it.
    this.handler.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
    props.alerts.grantSend(this.handler);
    props.configRepoSecret.grantRead(this.handler);
    for (const queue of props.syncQueues ?? []) queue.grantSendSyncRequest(this.handler);
    for (const cluster of props.clusters ?? []) cluster.grantDriftScan(this.handler.function.role as IRole);
    skipCheckov(this.queue, sqsManagedEncryption);
    skipCheckov(this.deadLetterQueue, sqsManagedEncryption);
  }

  /** Lets the webhook send each push of the dry branch here (`TIDEMARK_HYDRATE_QUEUE_URL`). */
  acceptPushesFrom(webhook: WebhookReceiver): void {
    webhook.handler.function.addEnvironment('TIDEMARK_HYDRATE_QUEUE_URL', this.queue.queueUrl);
    this.queue.grantSendMessages(webhook.handler);
  }
}
