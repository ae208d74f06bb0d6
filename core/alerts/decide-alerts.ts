import type { DriftReport } from '../drift/drift-report';
import type { Alert } from './alert';
import { type AlertState, cleanState } from './alert-state';

/** What one scan of one cluster produced. */
export type ScanOutcome =
  | { kind: 'scanned'; report: DriftReport }
  | { kind: 'failed'; cluster: string; message: string };

/**
 * The alerts one scan causes, and the state to remember for the next. Pure: the caller passes `now` and stores
 * `next` only after the alerts were delivered, so a failed delivery is retried by the next scan instead of lost.
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
): { alerts: Alert[]; next: AlertState } {
  const state = previous ?? cleanState;
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
