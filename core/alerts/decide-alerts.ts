import type { DriftReport } from '../drift/drift-report';
import type { Alert } from './alert';
import { type AlertState, cleanState, type Undelivered } from './alert-state';

/** What one scan of one cluster produced. */
export type ScanOutcome =
  | { kind: 'scanned'; report: DriftReport }
  | { kind: 'failed'; cluster: string; message: string };

/**
 * The alerts one scan causes, and the state to remember for the next. Pure: the caller passes `now`, delivers, and
 * stores `next` with what each channel missed (`undeliveredOf`), which the next call turns into `redeliveries`.
 *
 * - drift appears or changes → one alert; unchanged → nothing until `renotifyHours` passed; cleared → `resolved`.
 * - a failed scan → `scan-failing` once, keeping the drift state as it was (a scan that failed saw nothing);
 *   the first successful scan after it → `recovered`, then the drift rules above.
 */
export function decideAlerts(
  previous: AlertState | undefined,
  outcome: ScanOutcome,
  now: Date,
  renotifyHours: number,
): { alerts: Alert[]; redeliveries: Redelivery[]; next: AlertState } {
  const state = previous ?? cleanState;
  const decided = decideNew(state, outcome, now, renotifyHours);
  // A new alert carries the present state to every channel, so older undelivered ones are superseded.
  if (decided.alerts.length > 0) return { ...decided, next: { ...decided.next, undelivered: [] }, redeliveries: [] };
  const redeliveries = (state.undelivered ?? []).flatMap((u) => {
    const alert = rebuild(u, state, outcome);
    return alert ? [{ alert, channels: u.channels }] : [];
  });
  return { alerts: [], redeliveries, next: { ...decided.next, undelivered: [] } };
}

/** An alert to send again to the channels that missed it. */
export interface Redelivery {
  alert: Alert;
  channels: string[];
}

/** What to remember about an alert some channels missed. */
export function undeliveredOf(alert: Alert, channels: string[]): Undelivered {
  return {
    kind: alert.kind,
    channels,
    fingerprint: 'report' in alert ? alert.report.fingerprint : null,
    ...(alert.kind === 'recovered' ? { failingSince: alert.failingSince } : {}),
    ...(alert.kind === 'resolved' ? { previousFindings: alert.previousFindings } : {}),
  };
}

/** The missed alert written again from this scan, if it still describes the cluster; otherwise it is dropped. */
function rebuild(u: Undelivered, state: AlertState, outcome: ScanOutcome): Alert | undefined {
  if (outcome.kind === 'failed') {
    return u.kind === 'scan-failing' && state.failing
      ? { kind: 'scan-failing', cluster: outcome.cluster, message: state.failing.message, since: state.failing.since }
      : undefined;
  }
  const { report } = outcome;
  switch (u.kind) {
    case 'appeared':
    case 'changed':
    case 'renotify':
      return report.fingerprint !== null && report.fingerprint === u.fingerprint
        ? { kind: u.kind, cluster: report.cluster, report }
        : undefined;
    case 'resolved':
      return report.fingerprint === null
        ? { kind: 'resolved', cluster: report.cluster, report, previousFindings: u.previousFindings ?? 0 }
        : undefined;
    case 'recovered':
      return { kind: 'recovered', cluster: report.cluster, failingSince: u.failingSince ?? '' };
    case 'scan-failing':
    case 'render-failing':
    case 'render-recovered':
      return undefined;
  }
}

function decideNew(
  state: AlertState,
  outcome: ScanOutcome,
  now: Date,
  renotifyHours: number,
): { alerts: Alert[]; next: AlertState } {
  if (outcome.kind === 'failed') {
    if (state.failing) return { alerts: [], next: state };
    const failing = { since: now.toISOString(), message: outcome.message };
    return {
      alerts: [{ kind: 'scan-failing', cluster: outcome.cluster, message: outcome.message, since: failing.since }],
      next: { ...state, failing },
    };
  }
  const { report } = outcome;
  const alerts: Alert[] = [];
  if (state.failing) alerts.push({ kind: 'recovered', cluster: report.cluster, failingSince: state.failing.since });
  const notified = { fingerprint: report.fingerprint, findings: report.findings.length, failing: null };
  if (report.fingerprint === null) {
    if (state.fingerprint !== null) {
      alerts.push({ kind: 'resolved', cluster: report.cluster, report, previousFindings: state.findings });
    }
    return { alerts, next: { ...notified, notifiedAt: null } };
  }
  if (state.fingerprint === null || state.fingerprint !== report.fingerprint) {
    alerts.push({ kind: state.fingerprint === null ? 'appeared' : 'changed', cluster: report.cluster, report });
    return { alerts, next: { ...notified, notifiedAt: now.toISOString() } };
  }
  const due = state.notifiedAt === null || now.getTime() - Date.parse(state.notifiedAt) >= renotifyHours * 3_600_000;
  if (due) {
    alerts.push({ kind: 'renotify', cluster: report.cluster, report });
    return { alerts, next: { ...notified, notifiedAt: now.toISOString() } };
  }
  return { alerts, next: { ...notified, notifiedAt: state.notifiedAt } };
}
