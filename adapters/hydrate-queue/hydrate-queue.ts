import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { HydrateRequest } from '../../core/hydrate/hydrate-request';

/**
 * The hydrator's SQS FIFO queue. One message group per config repo, so pushes and previews of one repo are handled one
 * at a time and in order (two renders never race for a rendered branch); a delivery redelivered within 5 minutes is
 * dropped by SQS's deduplication.
 */
export class HydrateQueue {
  constructor(
    readonly url: string,
    private readonly sqs: SQSClient = new SQSClient({}),
  ) {
    if (!url.endsWith('.fifo'))
      throw new Error(`hydrator queue ${url} is not FIFO. Renders of one repo must be serialised: use a .fifo queue`);
  }

  async send(request: HydrateRequest): Promise<{ messageId: string }> {
    const body = JSON.stringify(HydrateRequest.parse(request));
    const revision = request.kind === 'push' ? request.revision : request.head.sha;
    const out = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: body,
        // SQS allows 128 characters of [A-Za-z0-9!-~]; the repo URL and delivery ids come from outside.
        MessageGroupId: digest(request.repo),
        MessageDeduplicationId: digest(`${request.kind}#${request.deliveryId}#${revision}`),
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 64);
}
