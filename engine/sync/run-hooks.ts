import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { type Hook, isAwaitedHook } from '../../core/helm/hooks';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, objectIdOf } from '../../core/sync/object-id';
import { managedByLabel, type SyncRef } from '../../core/sync/ownership';

/** Marks a hook object with the Sync that ran it. Not the Sync's own label: hooks are not in the inventory. */
export const hookOfAnnotation = 'tidemark.dev/hook-of';

export type HooksOutcome =
  | { kind: 'succeeded'; ran: string[] }
  | { kind: 'failed'; hook: string; message: string; ran: string[] };

export interface RunHooksOptions {
  sync: SyncRef;
  /** The release namespace, for hooks that name none. */
  namespace: string;
  /** How long one hook may take to complete, as Helm's `--timeout`. @default 5 minutes */
  timeoutMs?: number;
  /** @default 1 s */
  pollMs?: number;
}

/**
 * Runs hooks one at a time in the order given (core/helm/hooks `planHooks`), as Helm does: each is created by
 * server-side apply, and a Job or Pod is waited for until it completes. `before-hook-creation` deletes the previous
 * object of the same name first; `hook-failed` deletes a hook that failed, and `hook-succeeded` deletes the hooks
 * once all of them succeeded. The first hook that fails
 * stops the run, and its name is the reason: the main apply (for pre hooks) does not happen.
 *
 * Hook objects carry `app.kubernetes.io/managed-by: tidemark` but not the Sync's label, so they stay out of the
 * inventory and prune never deletes them (Helm does not track them in a release either).
 */
export async function runHooks(
  cluster: ClusterClient,
  hooks: readonly Hook[],
  options: RunHooksOptions,
): Promise<HooksOutcome> {
  const ran: string[] = [];
  const succeeded: { hook: Hook; ref: Ref }[] = [];
  for (const hook of hooks) {
    const object = await prepared(cluster, hook.object, options);
    const name = `${describeObject(objectIdOf(object))} (${hook.template})`;
    const ref = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
    };
    try {
      if (hook.deletePolicies.includes('before-hook-creation'))
        await deleteAndWait(cluster, ref, options.pollMs ?? 1000);
      const applied = await cluster.apply(object);
      const timeoutMs = options.timeoutMs ?? 5 * 60_000;
      const result = !isAwaitedHook(object)
        ? { ok: true as const }
        : object.kind === 'Job'
          ? await jobCompletion(cluster, ref, applied.metadata.resourceVersion, timeoutMs)
          : await completion(cluster, ref, timeoutMs, options.pollMs ?? 1000);
      if (!result.ok) {
        if (hook.deletePolicies.includes('hook-failed')) await cluster.delete(ref);
        return { kind: 'failed', hook: name, message: `hook ${name} failed: ${result.message}`, ran };
      }
      succeeded.push({ hook, ref });
      ran.push(name);
    } catch (error) {
      return { kind: 'failed', hook: name, message: `hook ${name} failed: ${(error as Error).message}`, ran };
    }
  }
  // As Helm does: only once every hook of the event succeeded, and in reverse order, since a later hook (the Job) may
  // need an earlier one (its ServiceAccount and Role) while it runs.
  for (const { hook, ref } of succeeded.reverse()) {
    if (hook.deletePolicies.includes('hook-succeeded')) await cluster.delete(ref);
  }
  return { kind: 'succeeded', ran };
}

async function prepared(cluster: ClusterClient, hook: KubeObject, options: RunHooksOptions): Promise<KubeObject> {
  const object = structuredClone(hook);
  object.metadata.labels = { ...object.metadata.labels, [managedByLabel]: 'tidemark' };
  object.metadata.annotations = {
    ...object.metadata.annotations,
    [hookOfAnnotation]: `${options.sync.namespace}.${options.sync.name}`,
  };
  if (object.metadata.namespace === undefined && (await cluster.isNamespaced(object.apiVersion, object.kind)))
    object.metadata.namespace = options.namespace;
  return object;
}

type Ref = { apiVersion: string; kind: string; namespace?: string; name: string };

async function deleteAndWait(cluster: ClusterClient, ref: Ref, pollMs: number): Promise<void> {
  if ((await cluster.delete(ref)) === 'gone') return;
  for (let i = 0; i < 120; i++) {
    if ((await cluster.get(ref)) === undefined) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`the previous ${ref.kind} ${ref.name} was not gone after 120 polls. Delete it by hand`);
}

type Verdict = { ok: true } | { ok: false; message: string };

function jobVerdict(job: KubeObject): Verdict | undefined {
  const conditions = (
    (job.status ?? {}) as { conditions?: { type: string; status: string; reason?: string; message?: string }[] }
  ).conditions;
  const condition = (type: string) => conditions?.find((c) => c.type === type && c.status === 'True');
  if (condition('Complete')) return { ok: true };
  const failed = condition('Failed');
  return failed
    ? { ok: false, message: `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed'}` }
    : undefined;
}

/**
 * Waits for a Job by watching it from the version just applied, not by polling: hook Jobs often set
 * `ttlSecondsAfterFinished: 0` (ingress-nginx's do), so the Job is deleted the moment it completes, and only the watch
 * sees the Complete condition before the deletion.
 */
async function jobCompletion(
  cluster: ClusterClient,
  ref: Ref,
  fromVersion: string | undefined,
  timeoutMs: number,
): Promise<Verdict> {
  const deadline = Date.now() + timeoutMs;
  let verdict: Verdict | undefined;
  let resourceVersion = fromVersion;
  while (verdict === undefined) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { ok: false, message: `it did not complete within ${Math.round(timeoutMs / 1000)} s` };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), remaining);
    try {
      const ended = await cluster.watch(
        'batch/v1',
        'Job',
        { namespace: ref.namespace, resourceVersion, signal: controller.signal },
        (event) => {
          if (event.object.metadata?.name !== ref.name || verdict !== undefined) return;
          verdict =
            jobVerdict(event.object) ??
            (event.type === 'DELETED' ? { ok: false, message: 'it was deleted before it completed' } : undefined);
          if (verdict !== undefined) controller.abort();
        },
      );
      if (verdict === undefined) {
        // The server ended the watch (or its version expired): read the Job once, then watch on from now.
        const live = await cluster.get(ref);
        if (live === undefined) return { ok: false, message: 'it was deleted before it completed' };
        verdict = jobVerdict(live);
        resourceVersion = ended ?? live.metadata.resourceVersion;
      }
    } finally {
      clearTimeout(timer);
    }
  }
  return verdict;
}

/** Waits until a Pod has the Succeeded or Failed phase. */
async function completion(
  cluster: ClusterClient,
  ref: Ref,
  timeoutMs: number,
  pollMs: number,
): Promise<{ ok: true } | { ok: false; message: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await cluster.get(ref);
    if (live === undefined) return { ok: false, message: 'it was deleted before it completed' };
    const status = (live.status ?? {}) as {
      phase?: string;
      message?: string;
      conditions?: { type: string; status: string; reason?: string; message?: string }[];
    };
    if (ref.kind === 'Pod') {
      if (status.phase === 'Succeeded') return { ok: true };
      if (status.phase === 'Failed') return { ok: false, message: status.message ?? 'the Pod failed' };
    } else {
      const condition = (type: string) => status.conditions?.find((c) => c.type === type && c.status === 'True');
      if (condition('Complete')) return { ok: true };
      const failed = condition('Failed');
      if (failed) return { ok: false, message: `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed'}` };
    }
    if (Date.now() > deadline)
      return { ok: false, message: `it did not complete within ${Math.round(timeoutMs / 1000)} s` };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
