import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import type { SyncStatus } from '../../core/sync/sync-status';
import { applyStaged } from '../../engine/sync/apply-staged';
import { installLabel } from './render-install';

export interface InstallOptions {
  /** Tidemark's name of the cluster: the install label's value. */
  clusterName: string;
  /** Progress, one line at a time (stderr in the CLI). */
  say: (line: string) => void;
  /** How long to wait for the agent and the first Sync to be Ready. */
  timeoutMs: number;
  /** How often a line says what is still awaited. */
  progressEveryMs?: number;
}

export type InstallOutcome =
  | { kind: 'ready'; sync: string; revision: string }
  | { kind: 'failed'; step: 'apply' | 'agent' | 'sync'; message: string };

/**
 * Applies an install (renderInstall's objects) with the agent's own engine, staged server-side apply (CRDs and the
 * namespace first, then the rest), and waits until the agent's Deployment is available and the cluster's Sync reports
 * Ready, saying what it waits for as it goes. A Sync that reports Stalled ends the wait at once with its reason.
 */
export async function installAgent(
  cluster: ClusterClient,
  objects: readonly KubeObject[],
  options: InstallOptions,
): Promise<InstallOutcome> {
  const { say } = options;
  const applied = await applyStaged(cluster, objects, { labelSelector: `${installLabel}=${options.clusterName}` });
  const counts = (['created', 'configured', 'unchanged'] as const)
    .map((action) => `${applied.changeSet.count(action)} ${action}`)
    .join(', ');
  if (applied.kind === 'failed') {
    return {
      kind: 'failed',
      step: 'apply',
      message: `the ${applied.stage} stage failed: ${applied.failures.join('; ')}`,
    };
  }
  say(`✔ applied ${objects.length} objects (${counts})`);

  const deadline = Date.now() + options.timeoutMs;
  const every = options.progressEveryMs ?? 5_000;
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const where = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
  const available = await waitFor(
    deadline,
    every,
    async () => {
      const live = await cluster.get(refOf(deployment));
      const status = (live?.status ?? {}) as {
        availableReplicas?: number;
        replicas?: number;
        updatedReplicas?: number;
      };
      const want = (live?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const ready = (status.availableReplicas ?? 0) >= want && (status.updatedReplicas ?? 0) >= want;
      return { done: ready, note: `Deployment ${where}: ${status.availableReplicas ?? 0}/${want} available` };
    },
    say,
  );
  if (!available.done) {
    return {
      kind: 'failed',
      step: 'agent',
      message: `${available.note} after ${seconds(options.timeoutMs)}. Check the pod: kubectl -n ${deployment.metadata.namespace} describe pod -l app.kubernetes.io/name=tidemark-agent`,
    };
  }
  say(`✔ agent running (Deployment ${where})`);

  const sync = objects.find((o) => o.kind === syncKind)!;
  const name = `${sync.metadata.namespace}/${sync.metadata.name}`;
  let revision = '';
  const ready = await waitFor(
    deadline,
    every,
    async () => {
      const live = await cluster.get({
        apiVersion: syncApiVersion,
        kind: syncKind,
        namespace: sync.metadata.namespace,
        name: sync.metadata.name,
      });
      const status = (live?.status ?? {}) as SyncStatus;
      const readyCondition = status.conditions?.find((c) => c.type === 'Ready');
      const stalled = status.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
      revision = status.lastAppliedRevision ?? '';
      if (stalled) return { done: true, failed: `Sync ${name} is stalled: ${stalled.message}` };
      const note = readyCondition
        ? `Sync ${name}: ${readyCondition.reason}: ${readyCondition.message}`
        : `Sync ${name}: waiting for the agent's first reconcile`;
      return { done: readyCondition?.status === 'True', note };
    },
    say,
  );
  if (ready.failed) return { kind: 'failed', step: 'sync', message: ready.failed };
  if (!ready.done)
    return { kind: 'failed', step: 'sync', message: `${ready.note} after ${seconds(options.timeoutMs)}` };
  return { kind: 'ready', sync: name, revision };
}

interface Poll {
  done: boolean;
  note?: string;
  failed?: string;
}

/** Polls every second until done or the deadline, saying the latest note when it changes or every `every` ms. */
async function waitFor(deadline: number, every: number, probe: () => Promise<Poll>, say: (line: string) => void) {
  const started = Date.now();
  let last: Poll = { done: false };
  let said = '';
  let saidAt = started;
  while (Date.now() < deadline) {
    try {
      last = await probe();
    } catch (error) {
      last = { done: false, note: (error as Error).message };
    }
    if (last.done) return last;
    const elapsed = Date.now() - started;
    if (last.note && (last.note !== said || Date.now() - saidAt >= every)) {
      say(`  … ${last.note} (${seconds(elapsed)})`);
      said = last.note;
      saidAt = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return last;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

function refOf(object: KubeObject) {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace,
    name: object.metadata.name,
  };
}
