import { deliverAlerts } from '../../adapters/alerts/alert-channels';
import type { Alert } from '../../core/alerts/alert';
import type { AlertState } from '../../core/alerts/alert-state';
import { decideAlerts, type ScanOutcome } from '../../core/alerts/decide-alerts';

/** The existing alert pipeline as the reconcilers use it: the alert state in the State table and the channels. */
export interface AlertPipeline {
  state: { load(target: string): Promise<AlertState | undefined>; save(target: string, s: AlertState): Promise<void> };
  /** Delivery per channel (SNS, Slack); a channel that fails is reported, the others still deliver. */
  channels: { name: string; deliver(alert: Alert): Promise<void> }[];
  renotifyHours: number;
}

export interface Announced {
  alerts: Alert['kind'][];
  deliveryErrors: string[];
}

/**
 * Turns one look at a target (a scan, or a reconcile that saw everything) into alerts with the drift scanner's rules
 * (core/alerts/decide-alerts.ts): one when drift appears or changes, one "resolved" when it clears, one "scan failing"
 * for a run of failures. The state is saved even when a channel failed, so the channels that took an alert never get
 * it twice; what a channel missed is sent to it alone next time, while it still describes the target.
 */
export async function announceDrift(
  target: string,
  outcome: ScanOutcome,
  pipeline: AlertPipeline,
  now: Date,
): Promise<Announced> {
  const previous = await pipeline.state.load(target);
  const { alerts, redeliveries, next } = decideAlerts(previous, outcome, now, pipeline.renotifyHours);
  const sends = [
    ...alerts.map((alert) => ({ alert, channels: pipeline.channels })),
    ...redeliveries.map((r) => ({
      alert: r.alert,
      channels: pipeline.channels.filter((c) => r.channels.includes(c.name)),
    })),
  ];
  const { undelivered, deliveryErrors } = await deliverAlerts(sends);
  await pipeline.state.save(target, { ...next, undelivered });
  return { alerts: sends.map((s) => s.alert.kind), deliveryErrors };
}
