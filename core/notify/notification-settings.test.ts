import { describe, expect, it } from 'vitest';
import { validateDeploymentConfig } from '../config/deployment-config';
import { defaultNotificationSettings } from './notification-settings';
import { channelsFor, slackSecretsOf } from './route-event';

const minimal = {
  configRepo: { provider: 'github', url: 'https://github.com/acme/config.git', authSecretName: 'tidemark/repo' },
  clusters: [{ name: 'dev', eksClusterName: 'acme-dev', region: 'us-east-1', path: 'clusters/dev' }],
  images: { ecrRepositories: ['web'] },
};
const target = { cluster: 'dev', sync: { namespace: 'shop', name: 'web' }, severity: 'info' as const };

describe('notifications in tidemark.config.yaml', () => {
  it('defaults to every event on the alerts topic, and on the alerts Slack webhook when there is one', () => {
    const config = validateDeploymentConfig(minimal);
    expect(config.notifications).toEqual(defaultNotificationSettings);
    expect(channelsFor(config.notifications, undefined, target)).toEqual(['sns']);
    expect(channelsFor(config.notifications, 'tidemark/slack', target)).toEqual(['sns', 'slack:tidemark/slack']);
  });

  it('refuses a route naming the alerts Slack webhook when none is configured, naming the key and the fix', () => {
    expect(() =>
      validateDeploymentConfig({ ...minimal, notifications: { routes: [{ channels: ['sns', 'slack'] }] } }),
    ).toThrow(
      "notifications.routes[0].channels[1]: names the alerts Slack webhook, but alerts.slackWebhookSecretName is not set. Set it, or name a webhook secret of this route's own as {slack: SECRET_NAME}",
    );
  });

  it('lists every Slack webhook secret the routes name, for the notifier to be allowed to read', () => {
    const config = validateDeploymentConfig({
      ...minimal,
      alerts: { slackWebhookSecretName: 'tidemark/slack' },
      notifications: { routes: [{ channels: ['slack', { slack: 'team/payments' }] }, { channels: ['sns'] }] },
    });
    expect(slackSecretsOf(config.notifications, config.alerts.slackWebhookSecretName)).toEqual([
      'tidemark/slack',
      'team/payments',
    ]);
  });

  it('refuses an unknown key with its path', () => {
    expect(() => validateDeploymentConfig({ ...minimal, notifications: { foldSecs: 5 } })).toThrow(/^notifications/);
  });
});
