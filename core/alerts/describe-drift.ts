import type { DriftedField, DriftFinding } from '../drift/drift-report';
import { resourceApiVersion } from '../resources/declaration';
import { describeObject, type ObjectRef } from '../sync/object-id';

/**
 * Drift in words, shared by Slack, SNS and `tidemark diff`, so every channel says the same thing the same way:
 * "Deployment/shop/web modified" and "spec.replicas 3 → 5 by kubectl-scale at 10:42".
 */
export function findingTitle(f: DriftFinding): string {
  switch (f.kind) {
    case 'modified':
      return `${describeObject(f.object)} differs from Git in ${f.fields.length} field${f.fields.length === 1 ? '' : 's'}${f.reverted ? ', reverted to Git' : ''}`;
    case 'unappliable':
      return `${describeObject(f.object)} cannot be applied: ${f.message}`;
    case 'missing':
      return isResource(f.object)
        ? `${describeObject(f.object)} is in Git but does not exist${f.reverted ? ', created again from Git' : ''}`
        : `${describeObject(f.object)} is in Git but missing from the cluster`;
    case 'orphan':
      return isResource(f.object)
        ? `${describeObject(f.object)} carries Tidemark's ownership marker but is no longer in Git`
        : `${describeObject(f.object)} carries Tidemark's labels but is no longer in Git${f.writer ? ` (labelled by ${f.writer.manager})` : ''}`;
    case 'sync-lagging':
      return `Sync ${f.sync.namespace}/${f.sync.name} is ${f.lagMinutes} min behind ${shortRevision(f.headRevision)} (applied: ${f.lastAppliedRevision ? shortRevision(f.lastAppliedRevision) : 'nothing yet'})`;
    case 'sync-stalled':
      return `Sync ${f.sync.namespace}/${f.sync.name} is stalled (${f.reason})${f.message ? `: ${f.message}` : ''}`;
  }
}

/** An object a reconciler applies outside Kubernetes (a Route 53 record set, a PostgreSQL role), not a Sync. */
function isResource(ref: ObjectRef): boolean {
  return ref.apiVersion === resourceApiVersion && ref.kind !== 'Sync';
}

/** `spec.replicas 3 → 5 by kubectl-scale at 10:42` */
export function fieldLine(field: DriftedField, maxValueLength = 80): string {
  const writer = field.writer
    ? ` by ${field.writer.manager}${field.writer.subresource ? ` (${field.writer.subresource})` : ''}${field.writer.time ? ` at ${clock(field.writer.time)}` : ''}`
    : '';
  return `${field.path} ${shown(field.desired, maxValueLength)} → ${shown(field.live, maxValueLength)}${writer}`;
}

/** A value as one short line: JSON, `(absent)` for a missing field, cut with an ellipsis past `max` characters. */
export function shown(value: unknown, max = 80): string {
  if (value === undefined || value === null) return '(absent)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `10:42` for today-ish timestamps; alerts carry the full time in JSON. Times are UTC. */
function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(11, 16)} UTC`;
}

export function shortRevision(revision: string): string {
  const sha = revision.split(/[@:]/).pop() ?? revision;
  return /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : revision;
}

/** One line summing up a report: "3 objects differ from Git". */
export function driftSummary(findings: readonly DriftFinding[]): string {
  const n = findings.length;
  return n === 0 ? 'in sync with Git' : `${n} finding${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''} from Git`;
}
