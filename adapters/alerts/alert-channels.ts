import type { Alert } from '../../core/alerts/alert';
import { renderSlackMessage } from '../../core/alerts/slack-message';
import { renderSnsMessage } from '../../core/alerts/sns-message';
import { SlackWebhook } from './slack-webhook';
import { SnsAlerts } from './sns-alerts';

/** One place an alert goes. A channel that fails is reported; the others still deliver. */
export interface AlertChannel {
  /** `sns` or `slack`: remembered with an alert a channel missed, so it alone gets it again. */
  name: string;
  deliver(alert: Alert): Promise<void>;
}

/**
 * The channels the deployment config turns on: the alerts topic (SNS, subject and message rendered for it) when the
 * stack created one, and Slack (Block Kit) when a webhook secret is named. The Slack URL is read from its secret on
 * first delivery, not here.
 */
export function alertChannels(options: { topicArn?: string; slackWebhookSecretName?: string }): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (options.topicArn) {
    const sns = new SnsAlerts(options.topicArn);
    channels.push({ name: 'sns', deliver: async (alert) => void (await sns.publish(renderSnsMessage(alert))) });
  }
  if (options.slackWebhookSecretName) {
    const slack = SlackWebhook.fromSecret(options.slackWebhookSecretName);
    channels.push({ name: 'slack', deliver: async (alert) => void (await slack.post(renderSlackMessage(alert))) });
  }
  return channels;
}
