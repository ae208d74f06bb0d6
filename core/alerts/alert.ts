import type { DriftReport } from '../drift/drift-report';

/**
 * Why an alert is sent. Drift alerts follow the fingerprint of the drift set: `appeared` (none before), `changed`
 * (a different set), `renotify` (the same set, still there after the re-notify interval) and `resolved` (gone).
 * Scan health is separate: `scan-failing` once when scans start failing, `recovered` once when one succeeds again.
 */
export type AlertKind =
  | 'appeared'
  | 'changed'
  | 'renotify'
  | 'resolved'
  | 'scan-failing'
  | 'recovered'
  | 'render-failing'
  | 'render-recovered';

export type Alert =
  | { kind: 'appeared' | 'changed' | 'renotify'; cluster: string; report: DriftReport }
  | { kind: 'resolved'; cluster: string; report: DriftReport; previousFindings: number }
  | { kind: 'scan-failing'; cluster: string; message: string; since: string }
  | { kind: 'recovered'; cluster: string; failingSince: string }
  /**
   * A render target of `.tidemark/render.yaml` stopped rendering (once per failure, not per push; nothing was
   * committed, the last good rendered commit stays). `cluster` is {@link renderAlertSubject}`(target)`.
   */
  | {
      kind: 'render-failing';
      cluster: string;
      target: string;
      revision: string;
      /** `file:line`, when the renderer says. */
      where?: string;
      message: string;
      since: string;
    }
  | { kind: 'render-recovered'; cluster: string; target: string; revision: string; failingSince: string };

/**
 * The `cluster` of a render alert (the SNS attribute subscribers filter on): `render/<target>`. Cluster names are DNS
 * labels, so they never hold the slash.
 */
export function renderAlertSubject(target: string): string {
  return `render/${target}`;
}

/** The SNS `kind` message attribute subscribers filter on (DESIGN.md: `drift`, `resolved`, `scan-failing`). */
export type AlertTopicKind = 'drift' | 'resolved' | 'scan-failing' | 'render-failing';

export function topicKindOf(kind: AlertKind): AlertTopicKind {
  switch (kind) {
    case 'appeared':
    case 'changed':
    case 'renotify':
      return 'drift';
    case 'resolved':
    case 'recovered':
    case 'render-recovered':
      return 'resolved';
    case 'render-failing':
      return 'render-failing';
    case 'scan-failing':
      return 'scan-failing';
  }
}

/** The `cluster` of an alert about a folder of resources beyond Kubernetes starts with this: `resources/dns`. */
export const resourcesTargetPrefix = 'resources/';

/**
 * What an alert is about, for its wording: a cluster (`prod`), or a folder that a reconciler applies to a provider
 * such as Route 53 (`resources/dns`; cluster names are DNS labels, so they never contain the slash).
 */
export function alertTarget(cluster: string): { noun: 'Cluster' | 'Resources'; name: string; reads: string } {
  return cluster.startsWith(resourcesTargetPrefix)
    ? { noun: 'Resources', name: cluster.slice(resourcesTargetPrefix.length), reads: 'the provider' }
    : { noun: 'Cluster', name: cluster, reads: 'the cluster' };
}
