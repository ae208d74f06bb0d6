import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SnsMessage } from '../../core/alerts/sns-message';

/**
 * Publishes alerts to the alerts topic. The `cluster` and `kind` message attributes are there for subscription filter
 * policies (e-mail only for `scan-failing`, a team's queue only for its cluster).
 */
export class SnsAlerts {
  constructor(
    private readonly topicArn: string,
    private readonly sns: SNSClient = new SNSClient({}),
  ) {}

  /** Returns the SNS message id. */
  async publish(message: SnsMessage): Promise<string> {
    const out = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.subject,
        Message: message.message,
        MessageAttributes: {
          cluster: { DataType: 'String', StringValue: message.attributes.cluster },
          kind: { DataType: 'String', StringValue: message.attributes.kind },
        },
      }),
    );
    return out.MessageId ?? '';
  }
}
