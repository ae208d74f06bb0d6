import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { ChangeSet } from '../../core/sync/change-set';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, objectIdOf, parseObjectKey } from '../../core/sync/object-id';
import { syncFinalizer } from '../../core/sync/ownership';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import type { SyncStatus } from '../../core/sync/sync-status';
import { pruneStale } from '../../engine/sync/prune-stale';
import { installLabel } from './render-install';

/** What an install creates, in the order uninstall removes it: the agent first, so nothing re-applies behind it. */
const installKinds: { apiVersion: string; kind: string }[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: syncApiVersion, kind: syncKind },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' },
  { apiVersion: 'v1', kind: 'Namespace' },
];

export interface UninstallOptions {
  /** Tidemark's name of the cluster: the install label's value. */
  clusterName: string;
  /** Also delete what the install's Syncs applied (the workloads). Without it they stay, as they are. */
  prune: boolean;
  /** Keep the Sync CRD even when no Sync is left in the cluster. */
  keepCrd: boolean;
  say: (line: string) => void;
  /** How long to wait for the agent's pods to go. */
  timeoutMs: number;
}

export interface UninstallResult {
  deleted: string[];
  /** Objects left in place, each with the reason. */
  kept: { subject: string; reason: string }[];
  /** What --prune deleted of the Syncs' inventories. */
  pruned: string[];
}

/**
 * Removes what `tidemark install --cluster NAME` created, found by its label (so a renamed namespace or
 * ServiceAccount is found too, and nothing the install did not create is touched). The agent goes first, so nothing
 * re-applies behind the uninstall. The workloads the Syncs applied stay unless `prune` is set; then they are deleted
 * with the agent's prune rules (only objects in a Sync's inventory that still carry its labels, Namespaces, PVCs and
 * CRDs only when annotated `tidemark.dev/prune: allow`), stage by stage in reverse apply order. The agent's namespace
 * is kept while it holds objects a Sync applied, and the Sync CRD while any Sync is left in the cluster.
 */
export async function uninstallAgent(cluster: ClusterClient, options: UninstallOptions): Promise<UninstallResult> {
  const { say } = options;
  const selector = `${installLabel}=${options.clusterName}`;
  const result: UninstallResult = { deleted: [], kept: [], pruned: [] };
  const found = new Map<string, KubeObject[]>();
  for (const { apiVersion, kind } of installKinds) {
    found.set(kind, await cluster.list(apiVersion, kind, { labelSelector: selector }).catch(unknownKindIsEmpty));
  }
  const total = [...found.values()].reduce((n, objects) => n + objects.length, 0);
  if (total === 0) {
    say(`nothing to uninstall: no object carries ${selector}`);
    return result;
  }
  const syncs = found.get(syncKind)!;
  const inventories = syncs.map((sync) => ({
    sync,
    entries: ((sync.status ?? {}) as SyncStatus).inventory?.entries ?? [],
  }));

  // 1. The agent, and wait for its pods to go: a running agent would re-apply what is pruned below.
  for (const deployment of found.get('Deployment')!) await remove(cluster, deployment, result);
  await waitForPodsGone(cluster, found.get('Deployment')!, options);
  say('✔ agent stopped');

  // 2. With --prune, what the Syncs applied, by the agent's own prune (labels, protected kinds, reverse stage order).
  if (options.prune) {
    for (const { sync, entries } of inventories) {
      const ref = { namespace: sync.metadata.namespace!, name: sync.metadata.name };
      const changes = new ChangeSet();
      // Everything leaves at once here, which is the intent, so the share and empty-render guards that protect a
      // reconcile from a wrong path are opened; the ownership and protected-kind rules are not.
      const pruned = await pruneStale(
        cluster,
        {
          sync: ref,
          previous: { entries },
          current: { entries: [] },
          renderedCount: entries.length,
          maxPruneShare: 1,
          dryRun: false,
        },
        changes,
      );
      if (pruned.kind === 'refused') throw new Error(`uninstall --prune: ${pruned.reason}`);
      if (pruned.failures.length > 0) {
        throw new Error(`uninstall --prune: ${pruned.failures.map((f) => f.message).join('; ')}. Run it again`);
      }
      for (const change of changes.changes) {
        if (change.action === 'deleted') result.pruned.push(change.subject);
        else if (change.action === 'skipped')
          result.kept.push({ subject: change.subject, reason: change.reason ?? '' });
      }
      say(`✔ pruned ${changes.count('deleted')} objects of Sync ${ref.namespace}/${ref.name}`);
    }
  }

  // 3. The rest of the install, in order; the namespace and the CRD only when nothing of the workloads needs them.
  const prunedSet = new Set(result.pruned);
  for (const { kind } of installKinds.slice(1)) {
    for (const object of found.get(kind)!) {
      const subject = describeObject(objectIdOf(object));
      if (kind === 'Namespace') {
        const inside = inventories
          .flatMap((i) => i.entries.map((e) => parseObjectKey(e.id)))
          .filter((id) => id.namespace === object.metadata.name && !prunedSet.has(describeObject(id)));
        if (inside.length > 0) {
          result.kept.push({
            subject,
            reason: `it holds ${inside.length} objects the Sync applied (${inside.slice(0, 3).map(describeObject).join(', ')}${inside.length > 3 ? ', …' : ''})`,
          });
          continue;
        }
      }
      if (kind === 'CustomResourceDefinition') {
        const left = (await cluster.list(syncApiVersion, syncKind).catch(unknownKindIsEmpty)).filter(
          (s) => !syncs.some((o) => o.metadata.uid === s.metadata.uid),
        );
        if (options.keepCrd || left.length > 0) {
          result.kept.push({
            subject,
            reason: options.keepCrd ? '--keep-crd' : `${left.length} Syncs of other installs still use it`,
          });
          continue;
        }
      }
      await remove(cluster, object, result);
    }
  }
  return result;
}

async function remove(cluster: ClusterClient, object: KubeObject, result: UninstallResult): Promise<void> {
  const { namespace, name } = object.metadata;
  if (object.kind === syncKind && (object.metadata.finalizers ?? []).includes(syncFinalizer)) {
    // The agent is gone, so nobody would ever remove its finalizer: uninstall has done its part already (pruned with
    // --prune, left in place without), and takes the finalizer off before deleting the Sync.
    const current = await cluster.get({ apiVersion: object.apiVersion, kind: syncKind, namespace, name });
    if (current) {
      await cluster.mergePatch(
        { apiVersion: object.apiVersion, kind: syncKind, namespace, name },
        {
          metadata: {
            finalizers: (current.metadata.finalizers ?? []).filter((f) => f !== syncFinalizer),
            resourceVersion: current.metadata.resourceVersion,
          },
        },
      );
    }
  }
  await cluster.delete({ apiVersion: object.apiVersion, kind: object.kind, namespace: namespace || undefined, name });
  result.deleted.push(describeObject(objectIdOf(object)));
}

async function waitForPodsGone(cluster: ClusterClient, deployments: KubeObject[], options: UninstallOptions) {
  const deadline = Date.now() + options.timeoutMs;
  for (const deployment of deployments) {
    const labels =
      (deployment.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
    const labelSelector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    while (Date.now() < deadline) {
      const pods = await cluster.list('v1', 'Pod', { namespace: deployment.metadata.namespace, labelSelector });
      if (pods.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

function unknownKindIsEmpty(error: unknown): KubeObject[] {
  if (error instanceof Error && error.name === 'UnknownKindError') return [];
  throw error;
}
