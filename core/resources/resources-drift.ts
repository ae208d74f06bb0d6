import { resourcesTargetPrefix } from '../alerts/alert';
import { type DriftFinding, type DriftReport, driftFingerprint } from '../drift/drift-report';
import type { ObjectRef } from '../sync/object-id';
import { identityOfKey, kindOfKey, resourceApiVersion } from './declaration';
import type { ShownChange } from './resources-outcome';

/**
 * One way a folder's objects differ from Git, found by a drift scan (or by a reconcile that reverted it). Values are
 * already masked (`ShownChange`), so a finding can go into any alert, log line or stored item.
 */
export type ResourceFinding =
  /** It exists, is ours, and applying Git would change these fields: someone changed it outside Git. */
  | { kind: 'modified'; key: string; changes: ShownChange[]; reverted?: boolean }
  /** Git declares it and it was applied, but it does not exist any more. */
  | { kind: 'missing'; key: string; reverted?: boolean }
  /** Git declares it, but what exists under that name is not ours (no marker, or another owner id). */
  | { kind: 'foreign'; key: string; message: string }
  /** It left Git and still carries our marker: prune is off, or refused. */
  | { kind: 'orphan'; key: string };

/** The name alerts and the alert state use for a folder: `resources/<name>` (never a cluster name, which has no slash). */
export function driftTarget(folder: string): string {
  return `${resourcesTargetPrefix}${folder}`;
}

/**
 * A folder's findings as the drift report the alert pipeline takes (core/alerts): the same fingerprint rules, so a
 * hand change is announced once when it appears or changes, and once more when it is resolved. A finding's fields read
 * `ttl 300 → 60`: `desired` is what Git says, `live` what the provider holds.
 */
export function resourcesDriftReport(input: {
  folder: string;
  revision?: string;
  scannedAt: Date;
  objectsScanned: number;
  findings: readonly ResourceFinding[];
}): DriftReport {
  const findings = input.findings.map(driftFindingOf);
  return {
    cluster: driftTarget(input.folder),
    ...(input.revision ? { revision: input.revision } : {}),
    scannedAt: input.scannedAt.toISOString(),
    objectsScanned: input.objectsScanned,
    ignoredFields: 0,
    findings,
    fingerprint: driftFingerprint(findings),
  };
}

function driftFindingOf(f: ResourceFinding): DriftFinding {
  const object = refOf(f.key);
  switch (f.kind) {
    case 'modified':
      return {
        kind: 'modified',
        object,
        fields: f.changes.map((c) => ({
          path: c.path,
          pointer: `/${c.path.replaceAll('~', '~0').replaceAll('/', '~1').replaceAll('.', '/')}`,
          desired: c.to,
          live: c.from,
        })),
        ...(f.reverted ? { reverted: true } : {}),
      };
    case 'missing':
      return { kind: 'missing', object, ...(f.reverted ? { reverted: true } : {}) };
    case 'foreign':
      return { kind: 'unappliable', object, message: f.message };
    case 'orphan':
      return { kind: 'orphan', object };
  }
}

/** `DnsRecordSet/api.example.com A` as an object reference: alerts print it as `DnsRecordSet/api.example.com A`. */
function refOf(key: string): ObjectRef {
  return { apiVersion: resourceApiVersion, kind: kindOfKey(key), name: identityOfKey(key) };
}
