/**
 * What the scanner remembers per cluster between scans (stored as `drift-alert#<cluster>`), so that an unchanged drift
 * is announced once, not every 15 minutes, and a cluster that cannot be reached raises one alert, not one per scan.
 */
export interface AlertState {
  /** Fingerprint of the drift set last announced; `null` when the cluster was in sync. */
  fingerprint: string | null;
  /** Number of findings last announced, for the "resolved" message. */
  findings: number;
  /** ISO time the current drift set was last announced; drives the re-notify interval. */
  notifiedAt: string | null;
  /** Set while scans fail: since when, and the first error. */
  failing: { since: string; message: string } | null;
}

export const cleanState: AlertState = { fingerprint: null, findings: 0, notifiedAt: null, failing: null };
