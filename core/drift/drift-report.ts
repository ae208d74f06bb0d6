import { createHash } from 'node:crypto';
import type { ObjectRef } from '../sync/object-id';
import type { FieldWriter } from './managed-fields';

/** One field that applying Git would change: "spec.replicas 3 → 5 by kubectl-scale at 10:42". */
export interface DriftedField {
  /** As people read it: `spec.template.spec.containers[name=web].image`. */
  path: string;
  /** RFC 6901, the form ignore rules use: `/spec/template/spec/containers/0/image`. */
  pointer: string;
  /** What Git would leave (absent: `undefined`, shown as null in JSON). Secret values are masked. */
  desired: unknown;
  /** What runs now. Secret values are masked. */
  live: unknown;
  /** The field manager that last wrote the live value, and when; absent when no manager owns it (it was removed). */
  writer?: FieldWriter;
}

/** Something in the cluster that is not what Git says. */
export type DriftFinding =
  /**
   * The object exists but applying Git would change these fields. `reverted`: Tidemark has already put them back (a
   * reconciler's self-heal), and says so rather than correcting silently.
   */
  | { kind: 'modified'; object: ObjectRef; fields: DriftedField[]; reverted?: boolean }
  /** The API server rejects Git's manifest (an immutable field changed, a schema error): the agent cannot apply it. */
  | { kind: 'unappliable'; object: ObjectRef; message: string }
  /** Git has the object; the cluster (or a reconciler's provider) does not. `reverted`: it was created again. */
  | { kind: 'missing'; object: ObjectRef; reverted?: boolean }
  /** The object carries our labels but Git no longer has it. */
  | { kind: 'orphan'; object: ObjectRef; writer?: FieldWriter }
  /** A Sync's last applied revision is behind the branch head for longer than the threshold. */
  | {
      kind: 'sync-lagging';
      sync: { namespace: string; name: string };
      lastAppliedRevision: string | null;
      headRevision: string;
      lagMinutes: number;
    }
  /** A Sync says it cannot make progress. */
  | { kind: 'sync-stalled'; sync: { namespace: string; name: string }; reason: string; message: string };

/** The result of one drift scan of one cluster (the `tidemark diff --output json` document). */
export interface DriftReport {
  cluster: string;
  /** The Git revision the desired state was rendered from, when known. */
  revision?: string;
  /** ISO timestamp of the scan. */
  scannedAt: string;
  /** Desired objects compared with the cluster. */
  objectsScanned: number;
  /** Drifted fields left out because an ignore rule says something other than Git owns them. */
  ignoredFields: number;
  findings: DriftFinding[];
  /**
   * Objects the scan could not judge, with why: a Helm template that calls `lookup` renders differently without the
   * cluster's Secrets, which the scanner may not read. Not findings (no alert), and not in the fingerprint.
   */
  unjudged?: string[];
  /** Stable hash of the findings (see {@link driftFingerprint}); equal fingerprints mean the same drift. */
  fingerprint: string | null;
}

/**
 * The report of one scan: findings sorted by object (then kind), so equal drift reads, and hashes, the same.
 */
export function driftReportOf(scan: {
  cluster: string;
  revision?: string;
  now: Date;
  objectsScanned: number;
  ignoredFields: number;
  findings: readonly DriftFinding[];
}): DriftReport {
  const findings = [...scan.findings].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  return {
    cluster: scan.cluster,
    ...(scan.revision ? { revision: scan.revision } : {}),
    scannedAt: scan.now.toISOString(),
    objectsScanned: scan.objectsScanned,
    ignoredFields: scan.ignoredFields,
    findings,
    fingerprint: driftFingerprint(findings),
  };
}

function sortKey(f: DriftFinding): string {
  return 'object' in f ? `${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name}/${f.kind}` : `~${f.kind}`;
}

/**
 * A stable hash of a drift set, or `null` when there is no drift. It covers what drifted, to which values and by whom,
 * and leaves out anything that moves without the drift changing (scan time, write times, how long a Sync has lagged),
 * so 100 scans of the same hand edit give the same fingerprint and one alert.
 */
export function driftFingerprint(findings: readonly DriftFinding[]): string | null {
  if (findings.length === 0) return null;
  const canonical = findings.map(canonicalFinding).sort();
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}

function canonicalFinding(f: DriftFinding): string {
  switch (f.kind) {
    case 'modified':
      return JSON.stringify([
        f.kind,
        objectRefKey(f.object),
        f.fields.map((x) => [x.pointer, x.desired ?? null, x.live ?? null, x.writer?.manager ?? null]).sort(),
      ]);
    case 'missing':
    case 'orphan':
      return JSON.stringify([f.kind, objectRefKey(f.object)]);
    case 'unappliable':
      return JSON.stringify([f.kind, objectRefKey(f.object), f.message]);
    case 'sync-lagging':
      return JSON.stringify([f.kind, f.sync.namespace, f.sync.name, f.headRevision]);
    case 'sync-stalled':
      return JSON.stringify([f.kind, f.sync.namespace, f.sync.name, f.reason]);
  }
}

/** `apps/v1/Deployment/shop/web`: unique per object in a cluster. */
export function objectRefKey(ref: ObjectRef): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}
