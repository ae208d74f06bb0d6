import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { skipCheckov, sqsManagedEncryption } from './checkov-skip';

export interface SyncQueueProps {
  /**
   * Tidemark's name of the cluster whose agent reads this queue (`clusters[].name`), or `resources/<name>` for the
   * folder whose reconciler Lambda reads it (infra/resource-reconciler.ts).
   */
  readonly clusterName: string;
  /**
   * Receives after which a sync request that the agent keeps failing on moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long a received request stays invisible to other readers; a Lambda reader needs at least its own timeout.
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
}

/**
 * One cluster's sync queue: the outbound-only channel through which its agent learns of a new commit (DESIGN.md).
 * A standard queue: a sync request only says "pull now", so order and exactly-once do not matter, and the agent
 * coalesces a burst into one pull. Its dead-letter queue holds requests the agent could not handle.
 */
export class SyncQueue extends Construct {
  readonly clusterName: string;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SyncQueueProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new Error(`${id}: maxReceiveCount must be 1 or more, but ${maxReceiveCount} was given`);
    }
    this.clusterName = props.clusterName;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A request older than a day is moot: the agent's own poll interval has long since pulled that commit.
      retentionPeriod: Duration.days(1),
      receiveMessageWaitTime: Duration.seconds(20),
      ...(props.visibilityTimeout ? { visibilityTimeout: props.visibilityTimeout } : {}),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    skipCheckov(this.queue, sqsManagedEncryption);
    skipCheckov(this.deadLetterQueue, sqsManagedEncryption);
  }

  get queueUrl(): string {
    return this.queue.queueUrl;
  }

  /** Lets a function ask this cluster's agent to pull now. */
  grantSendSyncRequest(grantee: IGrantable): void {
    this.queue.grantSendMessages(grantee);
  }

  /** Lets the cluster's agent receive and delete sync requests, and nothing else. */
  grantReceiveSyncRequests(grantee: IGrantable): void {
    this.queue.grantConsumeMessages(grantee);
  }
}

/** Cluster name → queue URL, the shape of `TIDEMARK_SYNC_QUEUE_URLS`. */
export function syncQueueUrls(queues: readonly SyncQueue[]): Record<string, string> {
  return Object.fromEntries(queues.map((q) => [q.clusterName, q.queueUrl]));
}
