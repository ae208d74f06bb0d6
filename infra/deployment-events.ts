import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { skipCheckov, sqsManagedEncryption } from './checkov-skip';

export interface DeploymentEventsProps {
  /** Tidemark's names of the clusters (`clusters[].name`); each gets a queue its agent sends to. */
  readonly clusterNames: string[];
  /**
   * Receives after which an event the notifier keeps failing on moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long a received event stays hidden from other receivers: six times the notifier's timeout (AWS's advice for a
   * Lambda event source), so a retry never overlaps the attempt it retries.
   * @default Duration.seconds(180)
   */
  readonly visibilityTimeout?: Duration;
}

/**
 * The outbound-only channel through which each cluster's agent reports what happened (DESIGN.md, "Deployment
 * events"): one FIFO queue per cluster, ordered per Sync (the agent sends each Sync's events in one message group, so
 * "failed" is never read after the "recovered" that followed it) and deduplicated for five minutes by event id. One
 * FIFO dead-letter queue takes what the notifier could not handle from any of them, and malformed events with their
 * reason.
 */
export class DeploymentEvents extends Construct {
  readonly deadLetterQueue: Queue;
  /** Cluster name → its events queue, in config order. */
  readonly queues: ReadonlyMap<string, Queue>;

  constructor(scope: Construct, id: string, props: DeploymentEventsProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new Error(`${id}: maxReceiveCount must be 1 or more, but ${maxReceiveCount} was given`);
    }
    if (props.clusterNames.length === 0) {
      throw new Error(`${id}: clusterNames is empty; pass the clusters whose agents send events`);
    }
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    skipCheckov(this.deadLetterQueue, sqsManagedEncryption);
    const queues = new Map<string, Queue>();
    for (const cluster of props.clusterNames) {
      const queue = new Queue(this, `Queue-${cluster}`, {
        fifo: true,
        // The agent names each event by id; equal bodies of two observations must stay two messages.
        contentBasedDeduplication: false,
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // An event is worth announcing for a day at most; older ones describe a state long since replaced.
        retentionPeriod: Duration.days(1),
        visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(180),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      });
      skipCheckov(queue, sqsManagedEncryption);
      queues.set(cluster, queue);
    }
    this.queues = queues;
  }

  /** The events queue of a configured cluster. */
  queue(clusterName: string): Queue {
    const queue = this.queues.get(clusterName);
    if (!queue) {
      throw new Error(
        `No events queue for cluster '${clusterName}'. Add it to clusters in tidemark.config.yaml (known: ${[...this.queues.keys()].join(', ')})`,
      );
    }
    return queue;
  }

  /** Lets a cluster's agent send its events, to its own queue and nowhere else. */
  grantSendEvents(clusterName: string, grantee: IGrantable): void {
    this.queue(clusterName).grantSendMessages(grantee);
  }
}
