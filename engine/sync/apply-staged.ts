import { KubeApiError } from '../../adapters/kubernetes/kube-api-error';
import { type ChangeAction, ChangeSet } from '../../core/sync/change-set';
import { type Health, healthOf } from '../../core/sync/health';
import { applyEntryOf, dryRunChanges, isInSync } from '../../core/sync/in-sync';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, objectIdOf, objectKey, refOf } from '../../core/sync/object-id';
import { byStage, type Stage } from '../../core/sync/stage-order';
import { takeOverPatch } from '../../core/sync/take-over-fields';
import type { ClusterPort } from '../cluster-port';
import { defaultConcurrency, inParallel } from '../concurrency';
import { kindsOf, listLive, withNamespaces } from '../live-state';
import { waitForDefinitions } from './wait-for-definitions';

export interface ApplyStagedOptions {
  /** Selects the objects this set applied before (the Sync's labels); their live state comes from one LIST per kind. */
  labelSelector: string;
  /** Namespace for namespaced objects that name none, as kubectl does. Default `default`. */
  defaultNamespace?: string;
  /** Only ask the API server (`dryRun=All`); report what would change and write nothing. */
  dryRun?: boolean;
  /** Requests in flight at once. Default `defaultConcurrency.applies`. */
  concurrency?: number;
  /** How long to wait for CRDs to be established and Namespaces active. Default 60 s. */
  definitionTimeoutMs?: number;
}

export type ApplyResult =
  | {
      kind: 'applied';
      changeSet: ChangeSet;
      /** The desired objects as applied (namespaces filled in), in apply order. */
      objects: KubeObject[];
      /**
       * The health of each object after the apply, by object key. Only the verdict is kept, not the object: holding
       * thousands of live objects with their managedFields until the reconcile ends would double the agent's memory.
       */
      health: Map<string, Health>;
    }
  | {
      kind: 'failed';
      /** The stage that failed; later stages were not applied. */
      stage: Stage;
      /** Every failure of that stage, each naming its object and the fix. */
      failures: string[];
      changeSet: ChangeSet;
      objects: KubeObject[];
      health: Map<string, Health>;
    };

/**
 * Applies objects in stages (CRDs, Namespaces and ClusterRoles first, waited for; then `*Class` kinds; then the rest;
 * webhook configurations last) with server-side apply, writing only what would change.
 *
 * Per object: its live state comes from a LIST by label per kind. When the local check (`isInSync`) proves the
 * apply would change nothing, no request is made; otherwise a server-side dry-run decides, and only an object whose
 * dry-run differs from the live one is written. So a steady-state reconcile costs one LIST per kind and no writes.
 * An object not in the LIST (new, or created by hand) is applied directly; if it existed with fields owned by kubectl,
 * those fields are taken over and the object applied again, so that fields absent from Git disappear.
 *
 * A failure does not stop the stage (the other objects still converge) but stops the next stages, and the result
 * lists every failure, each naming its object and the fix.
 */
export async function applyStaged(
  cluster: ClusterPort,
  desired: readonly KubeObject[],
  options: ApplyStagedOptions,
): Promise<ApplyResult> {
  const changeSet = new ChangeSet();
  const objects: KubeObject[] = [];
  const health = new Map<string, Health>();
  const concurrency = options.concurrency ?? defaultConcurrency.applies;
  const dryRunNamespaces = new Set<string>();
  for (const { stage, objects: stageObjects } of byStage(desired)) {
    const failures: string[] = [];
    const resolved: KubeObject[] = [];
    for (const placed of await withNamespaces(cluster, stageObjects, options.defaultNamespace)) {
      if (placed.error === undefined) resolved.push(placed.object);
      else failures.push(`${describeObject(refOf(placed.object))}: ${messageOf(placed.error)}`);
    }
    // One LIST per kind across namespaces, or per namespace where the agent may not list cluster-wide.
    const before = await listLive(cluster, kindsOf(resolved), options.labelSelector, defaultConcurrency.lists);
    // Recorded by position and added in render order afterwards, so output does not depend on which request won.
    const actions: (ChangeAction | undefined)[] = [];
    await inParallel([...resolved.entries()], concurrency, async ([index, object]) => {
      try {
        const key = objectKey(objectIdOf(object));
        const namespace = object.metadata.namespace;
        // A dry run cannot ask the API server about objects in a Namespace the same dry run only pretends to create.
        const result =
          options.dryRun && namespace && dryRunNamespaces.has(namespace) && !before.has(key)
            ? { action: 'created' as const, live: object }
            : await applyOne(cluster, object, before.get(key), options.dryRun ?? false);
        if (options.dryRun && object.kind === 'Namespace' && result.action === 'created') {
          dryRunNamespaces.add(object.metadata.name);
        }
        actions[index] = result.action;
        health.set(key, healthOf(result.live));
      } catch (error) {
        failures.push(messageOf(error));
      }
    });
    resolved.forEach((object, index) => {
      const action = actions[index];
      if (action) changeSet.add(objectIdOf(object), action);
    });
    objects.push(...resolved);
    if (failures.length === 0 && stage === 'definitions' && !options.dryRun) {
      const waited = await waitForDefinitions(cluster, resolved, options.definitionTimeoutMs ?? 60_000);
      failures.push(...waited);
      // The CRDs just established serve new kinds the next stages need to map.
      cluster.mapper.reset();
    }
    if (failures.length > 0) {
      return { kind: 'failed', stage, failures, changeSet, objects, health };
    }
  }
  return { kind: 'applied', changeSet, objects, health };
}

async function applyOne(
  cluster: ClusterPort,
  object: KubeObject,
  current: KubeObject | undefined,
  dryRun: boolean,
): Promise<{ action: 'created' | 'configured' | 'unchanged'; live: KubeObject }> {
  if (current !== undefined) {
    if (isInSync(object, current)) return { action: 'unchanged', live: current };
    const wouldBe = await cluster.apply(object, { dryRun: true });
    if (!dryRunChanges(current, wouldBe)) return { action: 'unchanged', live: current };
    if (dryRun) return { action: 'configured', live: wouldBe };
    const patch = applyEntryOf(current) === undefined ? takeOverPatch(current) : undefined;
    if (patch) await takeOver(cluster, current, patch);
    return { action: 'configured', live: await cluster.apply(object) };
  }
  // Not labelled as ours yet: new, or created by someone else. Apply tells which (201 Created or 200).
  const first = await cluster.applyReporting(object, { dryRun });
  if (first.created || dryRun) return { action: 'created', live: first.object };
  // It existed: our first apply of it. Take kubectl's fields over and apply again, so fields Git lacks are removed.
  const patch = takeOverPatch(first.object);
  if (patch === undefined) return { action: 'configured', live: first.object };
  await takeOver(cluster, first.object, patch);
  return { action: 'configured', live: await cluster.apply(object) };
}

async function takeOver(
  cluster: ClusterPort,
  current: KubeObject,
  patch: NonNullable<ReturnType<typeof takeOverPatch>>,
): Promise<void> {
  try {
    await cluster.jsonPatch(refOf(current), patch);
  } catch (error) {
    // A concurrent writer moved the resourceVersion (the patch's `test` failed): apply without taking over now; the
    // next reconcile tries again. Anything else is a real failure.
    if (!(error instanceof KubeApiError) || (error.code !== 409 && error.code !== 422)) throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
