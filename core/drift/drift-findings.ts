import type { ScanOutcome } from '../alerts/decide-alerts';
import type { DriftedField, DriftFinding } from './drift-report';
import { objectRefKey } from './drift-report';

/** A drifted field with when a scan first saw it drift (to any value). */
export type SeenField = DriftedField & { firstSeen: string };

/** A finding of the last scan with when a scan first saw it; for `modified`, each field with its own first sighting. */
export type SeenFinding =
  | (Omit<Extract<DriftFinding, { kind: 'modified' }>, 'fields'> & { firstSeen: string; fields: SeenField[] })
  | (Exclude<DriftFinding, { kind: 'modified' }> & { firstSeen: string });

/**
 * The drift of one cluster as its last successful scan found it, kept in the State table (`drift-findings#<cluster>`)
 * for `tidemark ui`'s Drift page: the alert state keeps only a fingerprint, and a page that said "3 drifted" without
 * which field, to what and by whom would send people back to `tidemark diff`. Secret values arrive masked (the scan
 * masks them, core/drift/mask-secret.ts).
 */
export interface DriftFindings {
  cluster: string;
  /** The last scan that compared anything, and the Git revision it rendered. */
  scannedAt: string;
  revision?: string;
  objectsScanned: number;
  findings: SeenFinding[];
  /** Findings left out to keep the item small (the first ones, by object, are kept). */
  omitted: number;
  /** Set while scans fail: the findings above are then those of the last scan that worked. */
  failing?: { since: string; message: string };
}

/**
 * What to store after a scan: the new findings, each keeping the first sighting it had in `previous` (same kind and
 * object; for a field, the same path). A failed scan keeps the last findings and says since when scans fail.
 */
export function driftFindingsAfter(
  previous: DriftFindings | undefined,
  outcome: ScanOutcome,
  now: Date,
  maxFindings = 500,
): DriftFindings {
  if (outcome.kind === 'failed') {
    return {
      ...(previous ?? { cluster: outcome.cluster, scannedAt: now.toISOString(), objectsScanned: 0, findings: [] }),
      omitted: previous?.omitted ?? 0,
      failing: previous?.failing ?? { since: now.toISOString(), message: outcome.message },
    };
  }
  const { report } = outcome;
  const seen = new Map((previous?.findings ?? []).map((f) => [findingKey(f), f]));
  const at = now.toISOString();
  const findings = report.findings.slice(0, maxFindings).map((finding): SeenFinding => {
    const before = seen.get(findingKey(finding));
    const firstSeen = before?.firstSeen ?? at;
    if (finding.kind !== 'modified') return { ...finding, firstSeen };
    const fieldsBefore = new Map(
      (before?.kind === 'modified' ? before.fields : []).map((f) => [f.pointer, f.firstSeen] as const),
    );
    return {
      ...finding,
      firstSeen,
      fields: finding.fields.map((f) => ({ ...f, firstSeen: fieldsBefore.get(f.pointer) ?? at })),
    };
  });
  return {
    cluster: report.cluster,
    scannedAt: report.scannedAt,
    ...(report.revision ? { revision: report.revision } : {}),
    objectsScanned: report.objectsScanned,
    findings,
    omitted: Math.max(0, report.findings.length - maxFindings),
  };
}

/** What makes two findings of different scans the same drift: its kind and its object (or Sync). */
export function findingKey(f: DriftFinding): string {
  return 'object' in f ? `${f.kind}|${objectRefKey(f.object)}` : `${f.kind}|${f.sync.namespace}/${f.sync.name}`;
}
