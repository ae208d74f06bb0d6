import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { sleep } from '../../local/processes';
import type { BenchRepo } from '../support/bench-repo';

/**
 * One side of the race, Tidemark or Flux, as the race drives it: the same steps, each in the tool's own terms.
 * Every request the harness makes on a peer's behalf goes through `cluster`, so the harness can count its own.
 */
export interface RacePeer {
  readonly name: 'Tidemark' | 'Flux';
  /** The repository it pulls (its own copy of the same objects, in namespaces `${objectPrefix}-N`). */
  readonly repo: BenchRepo;
  readonly objectPrefix: string;
  /** Its processes, for CPU, memory and pausing. */
  pids(): number[];
  /** Creates what a user creates to start syncing the repository (the cold apply's first instant). */
  start(): Promise<void>;
  /** True when the tool reports `revision` applied and Ready. */
  isReadyAt(revision: string): Promise<boolean>;
  /** Asks for an immediate reconcile as its CLI does (`flux reconcile ks --with-source`, `tidemark reconcile`); resolves once handled. */
  reconcileNow(): Promise<void>;
  /** Tells the tool of a push as its webhook path does (GitHub's signed `push` delivery). */
  notifyPush(before: string, after: string, modified: string[]): Promise<void>;
  /** Reconciles it has run so far, by kind (Kustomization, GitRepository; Sync), from its own metrics. */
  reconciles(): Promise<Record<string, number>>;
  /** Removes what `start` created, leaving the applied objects (their namespaces are deleted by the race). */
  remove(): Promise<void>;
}

/** Polls `check` every `everyMs` until it returns true; throws after `timeoutMs` naming `what`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; everyMs?: number },
): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return performance.now() - started;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${options.timeoutMs / 1000} s`);
    await sleep(options.everyMs ?? 100);
  }
}

interface Condition {
  type: string;
  status: string;
}

/** The status condition `type` is True on `object` (a Flux or Tidemark resource). */
export function conditionTrue(object: KubeObject | undefined, type = 'Ready'): boolean {
  const conditions = ((object?.status ?? {}) as { conditions?: Condition[] }).conditions ?? [];
  return conditions.some((c) => c.type === type && c.status === 'True');
}

/** A merge patch of one annotation, as `flux reconcile` and `tidemark reconcile` write theirs. */
export async function annotate(
  cluster: ClusterClient,
  ref: { apiVersion: string; kind: string; namespace: string; name: string },
  key: string,
  value: string,
): Promise<void> {
  await cluster.mergePatch(ref, { metadata: { annotations: { [key]: value } } });
}
