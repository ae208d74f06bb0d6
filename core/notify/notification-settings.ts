import * as z from '../zod';
import { type Severity, severities } from './deployment-event';

/**
 * `notifications:` in tidemark.config.yaml: where deployment events are announced. Part of the deployment config
 * (core/config/deployment-config.ts), so the CDK app, the local environment and the notifier read the same thing.
 */

/** A channel in a route: the alerts topic (`sns`), the alerts Slack webhook (`slack`), or another Slack webhook secret. */
export const ChannelSetting = z.union(
  [z.enum(['sns', 'slack']), z.strictObject({ slack: z.string().check(z.minLength(1)) })],
  "is not a channel. Use 'sns', 'slack' (the alerts webhook) or {slack: SECRET_NAME} for another Slack webhook",
);

const pattern = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?(\/[a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?)?$/,
      "is not a name pattern. Use a name, or '*' as a wildcard: 'prod', 'shop/*', '*/web'",
    ),
  );

export const NotificationRoute = z.strictObject({
  /** Cluster names (`clusters[].name`), `*` as a wildcard. */
  clusters: z._default(z.array(pattern).check(z.minLength(1)), ['*']),
  /** Syncs as `namespace/name` with `*` as a wildcard (`shop/*`), or a bare name matching it in any namespace. */
  syncs: z._default(z.array(pattern).check(z.minLength(1)), ['*']),
  /**
   * The least severe event sent: `info` (deployed, resumed), `warning` (degraded, healed, suspended) or `error`
   * (failed). A `recovered` follows its failure wherever the failure was sent, whatever this says.
   */
  minSeverity: z._default(z.enum(severities as [Severity, ...Severity[]]), 'info'),
  channels: z.array(ChannelSetting).check(z.minLength(1, 'must name at least one channel')),
});

export const NotificationSettings = z.strictObject({
  /**
   * Which events go where. Every route an event matches adds its channels (each channel gets one message). No routes:
   * everything to the alerts topic, and to the alerts Slack webhook when one is configured.
   */
  routes: z._default(z.array(NotificationRoute), []),
  /**
   * Failures are gathered for this long before the alert is sent, so that many Syncs failing for one cause (a git
   * outage, an expired credential) become one message naming the cause and the count. 0 sends each at once.
   */
  foldSeconds: z._default(z.number().check(z.int(), z.gte(0), z.lte(900)), 10),
  /**
   * When some Syncs of a folded failure recover and others do not, the recoveries are gathered this long before a
   * "N recovered, M still failing" message; when the last one recovers, the message goes at once. Syncs retry on
   * their own schedules, so an outage ends over tens of seconds.
   */
  recoveryFoldSeconds: z._default(z.number().check(z.int(), z.gte(0), z.lte(900)), 120),
  /** A heal of the same object at the same revision is announced again only after this many minutes. */
  healRenotifyMinutes: z._default(z.number().check(z.positive()), 60),
  github: z._default(
    z.strictObject({
      /** A commit status `tidemark/<cluster>` on each revision a cluster applied (provider `github` only). */
      commitStatuses: z._default(z.boolean(), true),
      /** A GitHub Deployment per cluster and revision, environment = the cluster (provider `github` only). */
      deployments: z._default(z.boolean(), true),
    }),
    { commitStatuses: true, deployments: true },
  ),
  /** A `Tidemark Deployment` event on the account's default EventBridge bus for every transition. */
  eventBridge: z._default(z.boolean(), true),
});

export type NotificationSettings = z.output<typeof NotificationSettings>;
export type NotificationRoute = z.output<typeof NotificationRoute>;
export type ChannelSetting = z.output<typeof ChannelSetting>;

/** The defaults, for a config without `notifications:`. */
export const defaultNotificationSettings: NotificationSettings = NotificationSettings.parse({});
