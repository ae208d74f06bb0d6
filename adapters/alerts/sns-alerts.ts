import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

/** What the topic takes: drift alerts (core/alerts/sns-message.ts) and deployment messages (core/notify). */
export interface SnsPublication {
  subject: string;
  message: string;
  attributes: Readonly<Record<string, string>>;
}

/**
 * Publishes alerts to the alerts topic. The message attributes (`cluster`, `kind`, …) are there for subscription filter
 * policies (e-mail only for `scan-failing`, a team's queue only for its cluster).
 */
export class SnsAlerts {
  constructor(
    private readonly topicArn: string,
    private readonly sns: SNSClient = new SNSClient({}),
  ) {}

  /** Returns the SNS message id. */
  async publish(message: SnsPublication): Promise<string> {
    const out = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: message.subject,
        Message: message.message,
        MessageAttributes: Object.fromEntries(
          Object.entries(message.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
    );
    return out.MessageId ?? '';
  }
}
