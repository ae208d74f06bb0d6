import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The ARN of a queue (what SNS subscriptions and redrive policies name). */
export async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return out.Attributes!.QueueArn!;
}

/**
 * Creates a queue and its dead-letter queue with a redrive policy, as the CDK stack creates the image-event and sync
 * queues (`<name>` and `<name>-dlq`, `.fifo` for FIFO queues). Idempotent: creating it again returns the same URLs.
 */
export async function createQueueWithDlq(
  sqs: SQSClient,
  options: { name: string; fifo?: boolean; maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<{ url: string; arn: string; dlqUrl: string }> {
  const suffix = options.fifo ? '.fifo' : '';
  // Deduplication ids come from the sender (the event id), as in the stack: content-based dedupe would merge two
  // deliveries of equal bodies that are meant to be distinct.
  const fifo: Record<string, string> = options.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {};
  const dlqUrl = (
    await sqs.send(new CreateQueueCommand({ QueueName: `${options.name}-dlq${suffix}`, Attributes: fifo }))
  ).QueueUrl!;
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `${options.name}${suffix}`,
        Attributes: {
          ...fifo,
          VisibilityTimeout: String(options.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: await queueArn(sqs, dlqUrl),
            maxReceiveCount: options.maxReceiveCount,
          }),
        },
      }),
    )
  ).QueueUrl!;
  return { url, arn: await queueArn(sqs, url), dlqUrl };
}
