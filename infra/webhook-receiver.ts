import { Duration, Validations } from 'aws-cdk-lib';
import { type FunctionUrl, FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { claimKey, claimLedgers } from '../core/state/state-keys';
import { secretsManagerKey, skipCheckov } from './checkov-skip';
import { type HandledFailure, powertoolsCount } from './observability';
import type { State } from './state';
import { SyncQueue, syncQueueUrls } from './sync-queue';
import { TidemarkFunction } from './tidemark-function';

export interface WebhookReceiverProps {
  /** The validated deployment config: its clusters get one sync queue each; `webhook.secretName` names the secret. */
  readonly config: DeploymentConfig;
  /** The shared table; the function records delivery ids there so a redelivered webhook sends no second request. */
  readonly state: State;
  /**
   * Create the webhook secret with a generated value (read it, then paste it into the GitHub webhook) rather than
   * reference an existing secret of that name.
   * @default true
   */
  readonly createSecret?: boolean;
  /**
   * Handler file, relative to the checkout.
   * @default 'functions/webhook/handler.ts'
   */
  readonly entry?: string;
  /**
   * GitHub gives up on a delivery after 10 seconds; the handler only verifies, records and enqueues.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Copies of the function that may run at once.
   * @default 10
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * The sync queues of the folders of resources (infra/resource-reconciler.ts): a push that touches a folder asks its
   * reconciler to run now.
   * @default - none
   */
  readonly resourceQueues?: SyncQueue[];
}

/**
 * Git webhooks → the clusters' sync queues. A Lambda Function URL receives the provider's POST; the handler verifies
 * the signature against the webhook secret (read at run time) and drops a sync request on the queue of each cluster
 * whose path the push touched. Nothing here can deploy into a cluster: the agent pulls.
 */
export class WebhookReceiver extends Construct {
  readonly handler: TidemarkFunction;
  readonly url: FunctionUrl;
  readonly secret: ISecret;
  /** One per configured cluster, in config order. */
  readonly syncQueues: SyncQueue[];

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(10);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 30) {
      throw new Error(
        `${id}: timeout must be from 1 to 30 seconds (providers stop waiting after about 10), but ${timeout.toHumanString()} was given`,
      );
    }
    this.syncQueues = props.config.clusters.map(
      (cluster) => new SyncQueue(this, `SyncQueue-${cluster.name}`, { clusterName: cluster.name }),
    );

    const secretName = props.config.webhook.secretName;
    if (props.createSecret ?? true) {
      const secret = new Secret(this, 'Secret', {
        secretName,
        description: 'Tidemark: the Git webhook secret. Paste this value into the webhook settings of the config repo.',
        // Hex-like characters only: GitHub and GitLab both accept it, and it survives copy-paste and shell quoting.
        generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The webhook secret is shared with the Git provider by hand; rotating it here alone would reject every delivery.',
      });
      this.secret = secret;
    } else {
      this.secret = Secret.fromSecretNameV2(this, 'Secret', secretName);
    }

    this.handler = new TidemarkFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/webhook/handler.ts',
      serviceName: 'webhook',
      description: 'Tidemark: verifies Git webhooks and asks the affected clusters to sync',
      config: props.config,
      state: props.state,
      // The claim ledgers of deliveries and of pushes, and nothing else of the table.
      stateKeys: [claimKey(claimLedgers.webhookDeliveries, '*'), claimKey(claimLedgers.webhookPushes, '*')],
      syncQueueUrls: syncQueueUrls([...this.syncQueues, ...(props.resourceQueues ?? [])]),
      timeout,
      // The URL is public: a flood of forged requests is answered 401 by at most this many copies, and cannot take
      // the account's whole concurrency from other functions.
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 10,
    });
    this.secret.grantRead(this.handler);
    for (const queue of [...this.syncQueues, ...(props.resourceQueues ?? [])]) queue.grantSendSyncRequest(this.handler);

    // Auth NONE: GitHub cannot sign requests with SigV4. The handler authenticates every request by its HMAC
    // signature (X-Hub-Signature-256) or token, and answers 401 before doing anything else.
    this.url = this.handler.function.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    skipCheckov(this.url, {
      id: 'CKV_AWS_258',
      comment: 'Git providers cannot sign with SigV4; the handler verifies the HMAC signature of every request.',
    });
    if (props.createSecret ?? true) skipCheckov(this.secret, secretsManagerKey);
  }

  /**
   * Deliveries the handler answered 500 (it could not record or enqueue them; the provider shows them as failed).
   * From `functions/webhook/handler.ts`: `WebhookDeliveries` with `outcome: error`.
   */
  handledFailures(): HandledFailure[] {
    return [
      {
        id: 'WebhookDeliveryFailed',
        metric: powertoolsCount(this.handler.serviceName, 'WebhookDeliveries', { outcome: 'error' }),
        description:
          'Tidemark webhook: a delivery could not be handed to the sync queues (answered 500). Redeliver it from the provider once the webhook log group shows the cause fixed.',
      },
    ];
  }

  /** The sync queue of a configured cluster. */
  syncQueue(clusterName: string): SyncQueue {
    const queue = this.syncQueues.find((q) => q.clusterName === clusterName);
    if (!queue) {
      throw new Error(
        `No sync queue for cluster '${clusterName}'. Add it to clusters in tidemark.config.yaml (known: ${this.syncQueues.map((q) => q.clusterName).join(', ')})`,
      );
    }
    return queue;
  }
}
