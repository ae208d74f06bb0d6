import { createHash } from 'node:crypto';
import type { DriftedField, DriftFinding, DriftReport, ObjectRef } from '../../core/drift/drift-report';
import { driftFingerprint } from '../../core/drift/drift-report';
import { driftedFields, withoutIgnored } from '../../core/drift/drifted-fields';
import type { IgnoreRule } from '../../core/drift/ignore-rules';
import { lastWriter } from '../../core/drift/managed-fields';
import type { KubernetesObject } from '../../core/drift/normalise';
import { asStored } from '../../core/drift/stored-form';
import { isInSync } from '../../core/sync/in-sync';
import type { KubeObject } from '../../core/sync/kube-object';
import { objectIdOf, objectKey } from '../../core/sync/object-id';

/**
 * What a drift scan needs from a cluster: reads, and the server-side apply dry-run, which persists nothing (the
 * scanner's EKS access entry is read-only plus dry-run). `adapters/kubernetes`' ClusterClient has this shape, so it is
 * passed as it is. A kind the server does not serve fails with an error named `UnknownKindError`.
 */
export interface DriftCluster {
  /** Every object of a kind carrying the label selector, in all namespaces. */
  list(apiVersion: string, kind: string, options: { labelSelector?: string }): Promise<KubeObject[]>;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Called only with `dryRun: true`: the object as applying it with field manager `tidemark` would leave it. */
  apply(object: KubeObject, options: { dryRun: true }): Promise<KubeObject>;
  isNamespaced(apiVersion: string, kind: string): Promise<boolean>;
}

/**
 * The verdict remembered per object between scans. It stays valid while neither side moved: the desired manifest
 * (its digest) and the live object (its resourceVersion, which every write changes). Fields are stored masked.
 */
export interface CachedVerdict {
  desiredDigest: string;
  resourceVersion: string;
  fields: DriftedField[];
}

export type DriftCacheEntries = Map<string, CachedVerdict>;

export interface DriftScanInput {
  cluster: string;
  revision?: string;
  /** The rendered desired objects, already carrying the ownership labels (`withOwnership`). */
  desired: readonly KubeObject[];
  /** Selects every object the Sync applied (`selectorFor(sync)`): live state is LISTed per kind with it. */
  labelSelector: string;
  rules: readonly IgnoreRule[];
  /** Kinds to LIST for orphans besides the desired ones (from the Sync's inventory): `apiVersion` and `kind`. */
  extraKinds?: readonly { apiVersion: string; kind: string }[];
  /** Findings about the Syncs themselves (`syncFindings`), added to the report as they are. */
  syncFindings?: readonly DriftFinding[];
  previous: DriftCacheEntries;
  now: Date;
  /** Dry-runs in flight at once. Default 16. */
  concurrency?: number;
}

/** How each object's verdict was reached: what a steady-state scan should spend nothing on. */
export interface DriftScanStats {
  lists: number;
  gets: number;
  /** Verdicts reused because neither the manifest nor the live object changed. */
  cached: number;
  /** Objects the local check proved unchanged without asking the API server. */
  filtered: number;
  dryRuns: number;
}

export interface DriftScanResult {
  report: DriftReport;
  cache: DriftCacheEntries;
  stats: DriftScanStats;
}

/**
 * Compares Git's desired objects with the cluster. An object drifts when a server-side apply of its manifest would
 * change it; the API server's dry-run decides. In front of it, two cheap answers that can only agree with it: the
 * verdict cached for the same manifest digest and live resourceVersion, and `isInSync`, which proves from managedFields
 * that an apply would change nothing (also on the stored forms of quantities and Secret `stringData`, see `asStored`).
 * So the first scan of an untouched cluster costs one LIST per kind, and a steady-state scan the same, while a changed
 * object always gets the oracle. Findings come sorted by object, so equal drift reads (and hashes) the same.
 */
export async function scanDrift(input: DriftScanInput, cluster: DriftCluster): Promise<DriftScanResult> {
  const stats: DriftScanStats = { lists: 0, gets: 0, cached: 0, filtered: 0, dryRuns: 0 };
  const desired = await withNamespaces(input.desired, cluster);
  const live = await listLive(desired, input, cluster, stats);
  const cache: DriftCacheEntries = new Map();
  const findings: DriftFinding[] = [];
  let ignoredFields = 0;
  const desiredKeys = new Set<string>();

  await bounded(desired, input.concurrency ?? 16, async (object) => {
    const key = objectKey(objectIdOf(object));
    desiredKeys.add(key);
    let current = live.get(key);
    if (!current) {
      // Not in the labelled LIST: either gone, or someone removed our labels. A GET tells the two apart.
      stats.gets++;
      current = await unlessUnknownKind(cluster.get(refOf(object)));
    }
    if (!current) {
      findings.push({ kind: 'missing', object: refOf(object) });
      return;
    }
    const digest = digestOf(object);
    const resourceVersion = current.metadata.resourceVersion ?? '';
    let fields: DriftedField[];
    const before = input.previous.get(key);
    if (before && before.desiredDigest === digest && before.resourceVersion === resourceVersion) {
      stats.cached++;
      fields = before.fields;
    } else if (isInSync(object, current) || provenByStoredForm(object, current)) {
      stats.filtered++;
      fields = [];
    } else {
      let compared: { afterApply: KubeObject; live: KubeObject } | undefined;
      try {
        compared = await dryRunAgainst(object, current, cluster, stats);
      } catch (error) {
        if ((error as { code?: unknown }).code === 403) throw new DryRunForbiddenError(refOf(object), error as Error);
        findings.push({ kind: 'unappliable', object: refOf(object), message: (error as Error).message });
        return;
      }
      if (!compared) {
        findings.push({ kind: 'missing', object: refOf(object) });
        return;
      }
      current = compared.live;
      fields = driftedFields(compared.afterApply as KubernetesObject, current as KubernetesObject);
    }
    cache.set(key, { desiredDigest: digest, resourceVersion: current.metadata.resourceVersion ?? '', fields });
    const subject = { ...refOf(object), labels: current.metadata.labels ?? {} };
    const kept = withoutIgnored(fields, subject, input.rules);
    ignoredFields += kept.ignored;
    if (kept.fields.length > 0) findings.push({ kind: 'modified', object: refOf(object), fields: kept.fields });
  });

  for (const [key, object] of live) {
    if (desiredKeys.has(key) || object.metadata.deletionTimestamp) continue;
    const creator = lastWriter(object as KubernetesObject, ['metadata', 'labels']);
    findings.push({ kind: 'orphan', object: refOf(object), ...(creator ? { writer: creator } : {}) });
  }
  findings.push(...(input.syncFindings ?? []));
  findings.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  return {
    report: {
      cluster: input.cluster,
      ...(input.revision ? { revision: input.revision } : {}),
      scannedAt: input.now.toISOString(),
      objectsScanned: desired.length,
      ignoredFields,
      findings,
      fingerprint: driftFingerprint(findings),
    },
    cache,
    stats,
  };
}

/**
 * The scanner may read but not dry-run: it cannot decide drift, so the scan fails (one "scan failing" alert) instead
 * of reporting every object. Kubernetes authorizes a dry-run as the write it simulates, so the view policy is not
 * enough; the identity needs `patch` on the scanned kinds (with dryRun=All nothing is persisted).
 * agent/deploy/drift-scanner grants that to the group tidemark:drift-scanner, with an admission policy that denies the
 * group every write that is not a dry-run; `cdk deploy` puts the scanner's role in that group.
 */
export class DryRunForbiddenError extends Error {
  constructor(object: ObjectRef, cause: Error) {
    super(
      `the drift scan may not dry-run apply ${object.kind}/${object.namespace ? `${object.namespace}/` : ''}${object.name} ` +
        `(${cause.message.split('. ')[0]}). Grant the scanner's identity 'patch' on ${object.kind} objects: ` +
        "apply agent/deploy/drift-scanner and map the scanner's role to the group tidemark:drift-scanner (for a " +
        "custom resource, also bind that group to 'patch' on its API group, as in that folder's " +
        'custom-resources.example.yaml). A server-side apply dry-run is authorized as the write it simulates, though ' +
        'it persists nothing; that folder lets the group dry-run only',
      { cause },
    );
    this.name = 'DryRunForbiddenError';
  }
}

/** The managedFields check on the stored forms of both sides (quantities, Secret stringData): see {@link asStored}. */
function provenByStoredForm(object: KubeObject, live: KubeObject): boolean {
  const stored = asStored(object, live);
  return isInSync(stored.desired, stored.live);
}

/**
 * The dry-run result and the live object it was computed from. A controller may write the object between our LIST and
 * the dry-run (a Deployment's revision annotation, say); comparing the dry-run of the newer object with the older LIST
 * item would report that write as drift. The dry-run answers with the resourceVersion it started from, so a mismatch
 * means "re-read and ask again". `undefined` when the object was deleted meanwhile.
 */
async function dryRunAgainst(
  object: KubeObject,
  live: KubeObject,
  cluster: DriftCluster,
  stats: DriftScanStats,
): Promise<{ afterApply: KubeObject; live: KubeObject } | undefined> {
  let current: KubeObject | undefined = live;
  for (let attempt = 0; attempt < 3 && current; attempt++) {
    stats.dryRuns++;
    const afterApply = await cluster.apply(object, { dryRun: true });
    if (afterApply.metadata.resourceVersion === current.metadata.resourceVersion) return { afterApply, live: current };
    stats.gets++;
    current = await cluster.get(refOf(object));
  }
  if (!current) return undefined;
  throw new Error(
    `${refOf(object).kind}/${object.metadata.name} changed during each of 3 dry-runs. Something rewrites it ` +
      'continuously (two controllers fighting?); look at its managedFields',
  );
}

/** Namespaced objects without a namespace go to `default`, as kubectl and the agent apply them. */
async function withNamespaces(objects: readonly KubeObject[], cluster: DriftCluster): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const object of objects) {
    const namespaced = await unlessUnknownKind(cluster.isNamespaced(object.apiVersion, object.kind));
    if (object.metadata.namespace || !namespaced) out.push(object);
    else out.push({ ...object, metadata: { ...object.metadata, namespace: 'default' } });
  }
  return out;
}

async function listLive(
  desired: readonly KubeObject[],
  input: DriftScanInput,
  cluster: DriftCluster,
  stats: DriftScanStats,
): Promise<Map<string, KubeObject>> {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const k of [...desired.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind })), ...(input.extraKinds ?? [])]) {
    kinds.set(`${k.apiVersion}/${k.kind}`, k);
  }
  const live = new Map<string, KubeObject>();
  await bounded([...kinds.values()], 4, async ({ apiVersion, kind }) => {
    stats.lists++;
    const listed = await unlessUnknownKind(cluster.list(apiVersion, kind, { labelSelector: input.labelSelector }));
    for (const object of listed ?? []) {
      live.set(objectKey(objectIdOf(object)), object);
    }
  });
  return live;
}

/** A digest of the manifest as it will be applied; key order does not matter, values do. */
export function digestOf(object: KubeObject): string {
  return createHash('sha256').update(canonicalJson(object)).digest('base64url').slice(0, 22);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A kind the API server does not serve (its CRD is not installed) has no objects: its desired objects are missing. */
async function unlessUnknownKind<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof Error && error.name === 'UnknownKindError') return undefined;
    throw error;
  }
}

function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
  };
}

function sortKey(f: DriftFinding): string {
  return 'object' in f ? `${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name}/${f.kind}` : `~${f.kind}`;
}

/**
 * At most `limit` tasks in flight. Thousands of dry-runs one by one spend their time on round trips; all at once
 * would flood the API server's fairness queues. (adapters/kubernetes has the same pool; core cannot import adapters.)
 */
async function bounded<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
