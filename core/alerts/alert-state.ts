import type { AlertKind } from './alert';

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
  /**
   * Alerts a channel did not take (Slack down past its retries), sent again to that channel alone by the next scan
   * while they still describe the cluster. The channels that did take them never see them twice.
   */
  undelivered?: Undelivered[];
}

/** An alert one or more channels missed, with what is needed to write it again from the next scan's outcome. */
export interface Undelivered {
  kind: AlertKind;
  channels: string[];
  /** The drift set the alert was about (`null` for a clean cluster), so a changed drift supersedes it. */
  fingerprint: string | null;
  failingSince?: string;
  previousFindings?: number;
}

export const cleanState: AlertState = { fingerprint: null, findings: 0, notifiedAt: null, failing: null };
