import { type Severity, severities, syncName } from './deployment-event';
import type { ChannelSetting, NotificationRoute, NotificationSettings } from './notification-settings';

/** Where a message goes: the alerts topic, or one Slack incoming webhook named by the secret holding its URL. */
export type Channel = 'sns' | `slack:${string}`;

export interface RouteTarget {
  cluster: string;
  sync: { namespace: string; name: string };
  severity: Severity;
}

/**
 * The channels an event goes to: the union of the channels of every route it matches (by cluster, Sync and minimum
 * severity), each once. `slack` means the alerts webhook (`alerts.slackWebhookSecretName`); without one configured,
 * it is skipped (the config validation refuses a route naming it, so this only happens with the default route).
 *
 * @example
 * channelsFor(settings, 'tidemark/slack', { cluster: 'prod', sync: { namespace: 'shop', name: 'web' }, severity: 'error' })
 * // ['sns', 'slack:tidemark/slack']
 */
export function channelsFor(
  settings: Pick<NotificationSettings, 'routes'>,
  alertsSlackSecret: string | undefined,
  target: RouteTarget,
): Channel[] {
  const routes = settings.routes.length > 0 ? settings.routes : defaultRoutes(alertsSlackSecret);
  const out = new Set<Channel>();
  for (const route of routes) {
    if (!matches(route, target)) continue;
    for (const setting of route.channels) {
      const channel = channelOf(setting, alertsSlackSecret);
      if (channel) out.add(channel);
    }
  }
  return [...out];
}

/** Every Slack webhook secret the routes name, so the CDK app can grant the notifier read access to each. */
export function slackSecretsOf(settings: Pick<NotificationSettings, 'routes'>, alertsSlackSecret?: string): string[] {
  const routes = settings.routes.length > 0 ? settings.routes : defaultRoutes(alertsSlackSecret);
  const names = routes.flatMap((r) => r.channels.map((c) => channelOf(c, alertsSlackSecret)));
  return [...new Set(names.flatMap((c) => (c?.startsWith('slack:') ? [c.slice('slack:'.length)] : [])))];
}

function defaultRoutes(alertsSlackSecret: string | undefined): NotificationRoute[] {
  return [
    {
      clusters: ['*'],
      syncs: ['*'],
      minSeverity: 'info',
      channels: alertsSlackSecret ? ['sns', 'slack'] : ['sns'],
    },
  ];
}

function channelOf(setting: ChannelSetting, alertsSlackSecret: string | undefined): Channel | undefined {
  if (setting === 'sns') return 'sns';
  if (setting === 'slack') return alertsSlackSecret ? `slack:${alertsSlackSecret}` : undefined;
  return `slack:${setting.slack}`;
}

function matches(route: NotificationRoute, target: RouteTarget): boolean {
  return (
    severities.indexOf(target.severity) >= severities.indexOf(route.minSeverity) &&
    route.clusters.some((p) => glob(p, target.cluster)) &&
    route.syncs.some((p) => glob(p.includes('/') ? p : `*/${p}`, syncName(target.sync)))
  );
}

/** `*` matches any run of characters within one part; everything else matches itself. */
function glob(pattern: string, value: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${source}$`).test(value);
}
