import { type DriftedField, type DriftFinding, type DriftReport, driftReportOf } from '../../core/drift/drift-report';
import { type DriftCacheEntries, digestOf, knownVerdict } from '../../core/drift/drift-verdict';
import { driftedFields, withoutIgnored } from '../../core/drift/drifted-fields';
import type { IgnoreRule } from '../../core/drift/ignore-rules';
import { lastWriter } from '../../core/drift/managed-fields';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, type ObjectRef, objectIdOf, objectKey, refOf } from '../../core/sync/object-id';
import type { ReadOnlyCluster } from '../cluster-port';
import { defaultConcurrency, inParallel } from '../concurrency';
import { isUnknownKind, listLive, withNamespaces } from '../live-state';

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
  /** The key the manifest digests of the verdicts are keyed with (`digestOf`): the cache store's `digestKey()`. */
  digestKey: string;
  now: Date;
  /** Verdicts in flight at once. Default `defaultConcurrency.scanObjects`. */
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
 * change it; the API server's dry-run decides. In front of it, two cheap answers that can only agree with it
 * (`knownVerdict`: the verdict cached for the same manifest and live resourceVersion, and the managedFields check).
 * So the first scan of an untouched cluster costs one LIST per kind, and a steady-state scan the same, while a changed
 * object always gets the oracle. Findings come sorted by object, so equal drift reads (and hashes) the same.
 */
export async function scanDrift(input: DriftScanInput, cluster: ReadOnlyCluster): Promise<DriftScanResult> {
  const stats: DriftScanStats = { lists: 0, gets: 0, cached: 0, filtered: 0, dryRuns: 0 };
  const desired: KubeObject[] = [];
  for (const placed of await withNamespaces(cluster, input.desired)) {
    // An unknown kind is kept as Git wrote it: it has no live objects, so it is reported missing.
    if (placed.error !== undefined && !isUnknownKind(placed.error)) throw placed.error;
    desired.push(placed.object);
  }
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const k of [...desired.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind })), ...(input.extraKinds ?? [])]) {
    kinds.set(`${k.apiVersion}/${k.kind}`, k);
  }
  stats.lists += kinds.size;
  const live = await listLive(cluster, [...kinds.values()], input.labelSelector, defaultConcurrency.scanLists);
  const cache: DriftCacheEntries = new Map();
  const findings: DriftFinding[] = [];
  let ignoredFields = 0;
  const desiredKeys = new Set<string>();

  await inParallel(desired, input.concurrency ?? defaultConcurrency.scanObjects, async (object) => {
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
    const digest = digestOf(object, input.digestKey);
    let fields: DriftedField[];
    const known = knownVerdict(object, digest, current, input.previous.get(key));
    if (known) {
      stats[known.how]++;
      fields = known.fields;
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
      fields = driftedFields(compared.afterApply, current);
    }
    cache.set(key, { desiredDigest: digest, resourceVersion: current.metadata.resourceVersion ?? '', fields });
    const subject = { ...refOf(object), labels: current.metadata.labels ?? {} };
    const kept = withoutIgnored(fields, subject, input.rules);
    ignoredFields += kept.ignored;
    if (kept.fields.length > 0) findings.push({ kind: 'modified', object: refOf(object), fields: kept.fields });
  });

  for (const [key, object] of live) {
    if (desiredKeys.has(key) || object.metadata.deletionTimestamp) continue;
    const creator = lastWriter(object, ['metadata', 'labels']);
    findings.push({ kind: 'orphan', object: refOf(object), ...(creator ? { writer: creator } : {}) });
  }
  findings.push(...(input.syncFindings ?? []));
  const report = driftReportOf({
    cluster: input.cluster,
    revision: input.revision,
    now: input.now,
    objectsScanned: desired.length,
    ignoredFields,
    findings,
  });
  return { report, cache, stats };
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
      `the drift scan may not dry-run apply ${describeObject(object)} ` +
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

/**
 * The dry-run result and the live object it was computed from. A controller may write the object between our LIST and
 * the dry-run (a Deployment's revision annotation, say); comparing the dry-run of the newer object with the older LIST
 * item would report that write as drift. The dry-run answers with the resourceVersion it started from, so a mismatch
 * means "re-read and ask again". `undefined` when the object was deleted meanwhile.
 */
async function dryRunAgainst(
  object: KubeObject,
  live: KubeObject,
  cluster: ReadOnlyCluster,
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
    `${describeObject(refOf(object))} changed during each of 3 dry-runs. Something rewrites it ` +
      'continuously (two controllers fighting?); look at its managedFields',
  );
}

/** A kind the API server does not serve (its CRD is not installed) has no objects: its desired objects are missing. */
async function unlessUnknownKind<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isUnknownKind(error)) return undefined;
    throw error;
  }
}
