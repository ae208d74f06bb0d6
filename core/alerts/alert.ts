import type { DriftReport } from '../drift/drift-report';

/**
 * Why an alert is sent. Drift alerts follow the fingerprint of the drift set: `appeared` (none before), `changed`
 * (a different set), `renotify` (the same set, still there after the re-notify interval) and `resolved` (gone).
 * Scan health is separate: `scan-failing` once when scans start failing, `recovered` once when one succeeds again.
 */
export type AlertKind = 'appeared' | 'changed' | 'renotify' | 'resolved' | 'scan-failing' | 'recovered';

export type Alert =
  | { kind: 'appeared' | 'changed' | 'renotify'; cluster: string; report: DriftReport }
  | { kind: 'resolved'; cluster: string; report: DriftReport; previousFindings: number }
  | { kind: 'scan-failing'; cluster: string; message: string; since: string }
  | { kind: 'recovered'; cluster: string; failingSince: string };

/** The SNS `kind` message attribute subscribers filter on (DESIGN.md: `drift`, `resolved`, `scan-failing`). */
export type AlertTopicKind = 'drift' | 'resolved' | 'scan-failing';

export function topicKindOf(kind: AlertKind): AlertTopicKind {
  switch (kind) {
    case 'appeared':
    case 'changed':
    case 'renotify':
      return 'drift';
    case 'resolved':
    case 'recovered':
      return 'resolved';
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
