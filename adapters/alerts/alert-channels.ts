import type { Alert } from '../../core/alerts/alert';
import type { Undelivered } from '../../core/alerts/alert-state';
import { undeliveredOf } from '../../core/alerts/decide-alerts';
import { renderSlackMessage } from '../../core/alerts/slack-message';
import { renderSnsMessage } from '../../core/alerts/sns-message';
import { maybeDelivered, SlackWebhook } from './slack-webhook';
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

/**
 * Delivers each alert to its channels, every channel tried even when one fails, and says what each channel missed
 * (to be sent to it alone next time) and why. A delivery that may have happened (Slack took the request and did not
 * answer in time) is not missed: sent again, it could be a second copy of the same message in the channel, every scan
 * while the drift lasts. It is reported among the errors all the same.
 */
export async function deliverAlerts(
  sends: readonly { alert: Alert; channels: readonly AlertChannel[] }[],
): Promise<{ undelivered: Undelivered[]; deliveryErrors: string[] }> {
  const undelivered: Undelivered[] = [];
  const deliveryErrors: string[] = [];
  for (const { alert, channels } of sends) {
    const missed: string[] = [];
    for (const channel of channels) {
      try {
        await channel.deliver(alert);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (maybeDelivered(error)) {
          deliveryErrors.push(`${channel.name} (maybe delivered, not sent again): ${message}`);
          continue;
        }
        missed.push(channel.name);
        deliveryErrors.push(`${channel.name}: ${message}`);
      }
    }
    if (missed.length > 0) undelivered.push(undeliveredOf(alert, missed));
  }
  return { undelivered, deliveryErrors };
}
