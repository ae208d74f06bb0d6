import { shown } from '../alerts/describe-drift';
import type { DriftReport } from '../drift/drift-report';
import type { KubeObject } from '../sync/kube-object';
import { describeObject, type ObjectRef, objectKey } from '../sync/object-id';
import { type SyncRef, withOwnership } from '../sync/ownership';
import { planPrune } from '../sync/prune';

/** One field a pull request would change in the live cluster: what runs now, and what would run. */
export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** What applying a pull request's render would do to one object of the live cluster. */
export type LiveChange =
  | { kind: 'updated'; object: ObjectRef; fields: FieldChange[] }
  | { kind: 'created'; object: ObjectRef }
  | { kind: 'pruned'; object: ObjectRef }
  /** A generated name changed (a kustomize hash suffix, a CDK8s name hash): the old object goes, the new one comes. */
  | { kind: 'replaced'; object: ObjectRef; by: ObjectRef }
  /** Would stay although it left Git: prune keeps it (a protected kind without the opt-in annotation). */
  | { kind: 'kept'; object: ObjectRef; reason: string }
  /** The API server refuses the manifest (an immutable field, a schema error): the agent would fail to apply it. */
  | { kind: 'refused'; object: ObjectRef; message: string };

export interface LiveChanges {
  cluster: string;
  changes: LiveChange[];
  /** Why the preview fails for this cluster: a prune over `maxPrunePercent`, a manifest the API server refuses. */
  failures: string[];
}

/**
 * A name ending in a generated hash: kustomize's 10-character suffix on generated ConfigMaps and Secrets
 * (`web-config-g4hk5b7c9d`), CDK8s's 8 hex characters (`web-deployment-c8f2a1b0`).
 */
const hashSuffix = /^(.+)-(?=[a-z0-9]*\d)[a-z0-9]{8,10}$/;

function stemOf(ref: ObjectRef): string | undefined {
  const m = hashSuffix.exec(ref.name);
  return m ? `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${m[1]}` : undefined;
}

/**
 * What applying the pull request's render would change in one live cluster, from the drift scan of that render
 * against the cluster (the scanner's read-only access: LIST by the Sync's labels, server-side apply dry-run):
 * a drifted field is a field the apply would change (its live value → the rendered one), a missing object would be
 * created, an object carrying the Sync's labels but left out of the render would be pruned. A pruned and a created
 * object of one kind and namespace whose names differ only by a generated hash are one replacement. Prune follows
 * the agent's own rule ({@link planPrune}): protected kinds are kept, and a prune over `maxPrunePercent` is a failure.
 */
export function liveChangesOf(report: DriftReport, sync: SyncRef, maxPrunePercent: number): LiveChanges {
  const changes: LiveChange[] = [];
  const failures: string[] = [];
  const created: ObjectRef[] = [];
  const orphans: ObjectRef[] = [];
  let missing = 0;
  for (const f of report.findings) {
    switch (f.kind) {
      case 'modified':
        changes.push({
          kind: 'updated',
          object: f.object,
          fields: f.fields.map((field) => ({ path: field.path, from: field.live, to: field.desired })),
        });
        break;
      case 'missing':
        missing++;
        created.push(f.object);
        break;
      case 'orphan':
        orphans.push(f.object);
        break;
      case 'unappliable':
        changes.push({ kind: 'refused', object: f.object, message: f.message });
        failures.push(`${describeObject(f.object)} would be refused by the API server: ${f.message}`);
        break;
      case 'sync-lagging':
      case 'sync-stalled':
        break;
    }
  }
  const live = report.objectsScanned - missing + orphans.length;
  const plan = planPrune({
    sync,
    previousCount: live,
    renderedCount: report.objectsScanned,
    stale: orphans.map((ref) => ({
      entry: { id: keyOf(ref), v: ref.apiVersion.split('/').pop() ?? ref.apiVersion },
      live: withOwnership({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: metadataOf(ref) }, sync),
    })),
    maxPruneShare: maxPrunePercent / 100,
  });
  let pruned: ObjectRef[] = [];
  if (plan.kind === 'refused') {
    failures.push(plan.reason);
    pruned = orphans;
  } else {
    const deleted = new Set(plan.delete.map((id) => `${id.namespace}_${id.name}_${id.group}_${id.kind}`));
    pruned = orphans.filter((ref) => deleted.has(keyOf(ref)));
    for (const skip of plan.skip) {
      const ref = orphans.find(
        (o) => keyOf(o) === `${skip.id.namespace}_${skip.id.name}_${skip.id.group}_${skip.id.kind}`,
      );
      if (ref) changes.push({ kind: 'kept', object: ref, reason: skip.reason });
    }
  }
  const unpaired = new Set(created);
  for (const old of pruned) {
    const stem = stemOf(old);
    const successor = stem === undefined ? undefined : created.find((c) => unpaired.has(c) && stemOf(c) === stem);
    if (successor) {
      unpaired.delete(successor);
      changes.push({ kind: 'replaced', object: old, by: successor });
    } else changes.push({ kind: 'pruned', object: old });
  }
  for (const c of created) if (unpaired.has(c)) changes.push({ kind: 'created', object: c });
  changes.sort((a, b) => describeObject(a.object).localeCompare(describeObject(b.object)));
  return { cluster: report.cluster, changes, failures };
}

function metadataOf(ref: ObjectRef): KubeObject['metadata'] {
  return { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
}

function keyOf(ref: ObjectRef): string {
  const slash = ref.apiVersion.indexOf('/');
  return objectKey({
    group: slash < 0 ? '' : ref.apiVersion.slice(0, slash),
    kind: ref.kind,
    namespace: ref.namespace ?? '',
    name: ref.name,
  });
}

/**
 * A field path as a reviewer reads it: a workload's pod template prefix left out and list elements named by their key
 * alone (`containers[web].image` for `spec.template.spec.containers[name=web].image`).
 */
export function compactPath(path: string): string {
  return path
    .replace(/^spec\.jobTemplate\.spec\.template\.spec\./, '')
    .replace(/^spec\.template\.spec\./, '')
    .replace(/\[name=([^\]]+)\]/g, '[$1]');
}

/** `spec.replicas 2 → 3` */
export function fieldChangeLine(field: FieldChange, max = 80): string {
  return `${compactPath(field.path)} ${shown(field.from, max)} → ${shown(field.to, max)}`;
}

/**
 * One line per object, as the pull request comment shows them:
 * `Deployment/shop-prod/web: spec.replicas 2 → 3, containers[web].image web:1.0.0 → web:1.1.0`, `ConfigMap/x created`.
 */
export function liveChangeLine(change: LiveChange): string {
  const what = describeObject(change.object);
  switch (change.kind) {
    case 'updated':
      return `${what}: ${change.fields.map((f) => fieldChangeLine(f)).join(', ')}`;
    case 'created':
      return `${what} created`;
    case 'pruned':
      return `${what} pruned`;
    case 'replaced':
      return `${what} replaced by ${change.by.name} (a generated name changed)`;
    case 'kept':
      return `${what} stays although it left Git: ${change.reason}`;
    case 'refused':
      return `${what} would be refused: ${change.message}`;
  }
}
