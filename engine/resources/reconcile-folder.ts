import { deepEqual } from '../../core/drift/deep-equal';
import { applyOrder } from '../../core/resources/apply-order';
import { type Declaration, describeSource, resourceKey } from '../../core/resources/declaration';
import type { DeclarationFile } from '../../core/resources/parse-declarations';
import { decideStale, gatePrune } from '../../core/resources/plan-resource-prune';
import type { ReconcileLog, Reconciler, SecretReader } from '../../core/resources/reconciler';
import {
  type ResourceInventory,
  type ResourceInventoryEntry,
  sortedInventory,
  staleEntries,
} from '../../core/resources/resource-inventory';
import type { ResourceFinding } from '../../core/resources/resources-drift';
import {
  isFailure,
  type ObjectResult,
  type ResourcesOutcome,
  shownChange,
} from '../../core/resources/resources-outcome';
import type { ResourceFolderConfig } from '../../core/resources/resources-settings';
import { type Examined, examine, immutableReasons } from './examine';
import { prepareFolder } from './prepare-folder';
import { runInStages } from './run-in-stages';
import { messageOf, type RetryDeps, withRetries } from './with-retries';

/** The folder settings a run reads. */
export type FolderSpec = Pick<
  ResourceFolderConfig,
  'name' | 'path' | 'ownerId' | 'adoptOwnerIds' | 'prune' | 'maxPrunePercent' | 'settings'
>;

export interface ReconcileFolderRequest {
  folder: FolderSpec;
  /** The reconcilers of the folder's module, by kind. */
  reconcilers: ReadonlyMap<string, Reconciler>;
  /** The folder's files at `revision`. */
  files: readonly DeclarationFile[];
  revision: string;
  /** What the last reconcile applied; prune considers nothing else. */
  previous: ResourceInventory;
  /** Observe and plan; apply and delete nothing. */
  dryRun?: boolean;
}

export interface ReconcileDeps {
  secrets: SecretReader;
  log: ReconcileLog;
  retry?: RetryDeps;
}

export interface ReconcileFolderResult {
  outcome: ResourcesOutcome;
  /**
   * Changes made outside Git that this reconcile put back, and objects it found but may not touch: drift for the
   * alert pipeline. `undefined` when the run could not see everything (a failure), so no alert state is derived from
   * a partial view.
   */
  findings: ResourceFinding[] | undefined;
}

/**
 * One reconcile of a folder, shared by the reconciler Lambdas and `tidemark reconcile-resources`: read the
 * declarations → observe and plan each (in dependency stages, each kind at its own concurrency, retried with backoff)
 * → apply what differs, on objects that are absent or ours → prune what left Git. Each failure is an outcome, never a
 * half-done step: a broken declaration applies and deletes nothing; an object that fails leaves the others applied and
 * stops prune; a prune that looks wrong deletes nothing.
 *
 * @example
 * const { outcome } = await reconcileFolder(
 *   { folder, reconcilers: reconcilersByKind(route53), files, revision, previous: status.inventory, dryRun: true },
 *   { secrets, log },
 * );
 */
export async function reconcileFolder(
  request: ReconcileFolderRequest,
  deps: ReconcileDeps,
): Promise<ReconcileFolderResult> {
  const { folder, revision, reconcilers } = request;
  const prepared = prepareFolder(folder, reconcilers, request.files, deps);
  if (prepared.kind === 'invalid') {
    return { outcome: { kind: 'invalid', revision, problems: prepared.problems }, findings: undefined };
  }
  const { declarations, run, contextFor, reconcilerOf, policy } = prepared;
  const keyOf = (d: Declaration) => resourceKey(d.kind, d.identity);
  const previousByKey = new Map(request.previous.entries.map((e) => [e.key, e]));
  const results = new Map<string, ObjectResult>();
  const inventory: ResourceInventoryEntry[] = [];
  const findings: ResourceFinding[] = [];
  const failedKeys = new Set<string>();
  try {
    await runInStages(
      prepared.stages,
      (item) => reconcilerOf(item.d.kind),
      async ({ d, key, dependsOn }) => {
        const blocker = dependsOn.find((k) => failedKeys.has(k));
        const result = blocker
          ? {
              key,
              source: describeSource(d.source),
              action: 'waiting' as const,
              changes: [],
              message: `waits for ${blocker}, which did not apply`,
            }
          : await reconcileObject(d, key);
        results.set(key, result);
        if (isFailure(result)) failedKeys.add(key);
        const before = previousByKey.get(key);
        if (!isFailure(result)) inventory.push({ key, name: d.name, spec: d.spec, revision });
        else if (before) inventory.push(before); // a failed object stays prunable once Git drops it
      },
    );

    async function reconcileObject(d: Declaration, key: string): Promise<ObjectResult> {
      const source = describeSource(d.source);
      const reconciler = reconcilerOf(d.kind);
      const ctx = contextFor(d.kind);
      const examination = await examine(d, reconciler, ctx, policy, deps.retry);
      if (examination.kind === 'failed') {
        return {
          key,
          source,
          action: 'failed',
          changes: [],
          message: examination.message,
          attempts: examination.attempts,
        };
      }
      const e = examination.examined;
      const changes = e.changes.map(shownChange);
      if (e.ownership.kind === 'foreign') {
        findings.push({ kind: 'foreign', key, message: e.ownership.message });
        return { key, source, action: 'conflict', changes, message: e.ownership.message };
      }
      const immutable = immutableReasons(e.changes);
      if (immutable)
        return { key, source, action: 'failed', changes, message: `cannot be changed in place: ${immutable}` };
      if (e.changes.length === 0 && e.ownership.kind === 'ours') return { key, source, action: 'unchanged', changes };
      const action = e.ownership.kind === 'absent' ? 'created' : e.ownership.kind === 'adopt' ? 'adopted' : 'updated';
      const reverted = revertsDrift(e, previousByKey.get(key));
      if (request.dryRun) return { key, source, action, changes, ...(reverted ? { reverted } : {}) };
      try {
        const { attempts } = await withRetries(
          () => e.reconciler.apply(d.spec, e.observed, e.changes, ctx),
          deps.retry,
        );
        if (reverted) {
          findings.push(
            e.ownership.kind === 'absent'
              ? { kind: 'missing', key, reverted }
              : { kind: 'modified', key, changes, reverted },
          );
        }
        return { key, source, action, changes, attempts, ...(reverted ? { reverted } : {}) };
      } catch (error) {
        const attempts = (error as { attempts?: number }).attempts ?? 1;
        return { key, source, action: 'failed', changes, message: `apply failed: ${messageOf(error)}`, attempts };
      }
    }

    const declaredKeys = new Set(declarations.map(keyOf));
    const stale = staleEntries(request.previous, declaredKeys);
    // Conflicts were seen, and are someone else's; an object that failed or waited was not, so prune waits for it.
    const failed = [...results.values()].filter((r) => r.action === 'failed' || r.action === 'waiting').length;
    const gate = folder.prune
      ? gatePrune({
          previousCount: request.previous.entries.length,
          declaredCount: declarations.length,
          staleCount: stale.length,
          maxPruneShare: folder.maxPrunePercent / 100,
          failedCount: failed,
        })
      : ({ kind: 'refused', reason: 'prune is off for this folder' } as const);
    let pruneFailures = 0;
    if (gate.kind === 'refused') {
      for (const entry of stale) {
        results.set(entry.key, { key: entry.key, action: 'skipped', changes: [], message: gate.reason });
        inventory.push(entry); // kept, so a later run (or prune switched on) still knows it is ours
        if (!folder.prune) findings.push({ kind: 'orphan', key: entry.key });
      }
    } else {
      pruneFailures = await prune(stale);
    }

    async function prune(entries: readonly ResourceInventoryEntry[]): Promise<number> {
      let failures = 0;
      const pruneOrder = applyOrder(
        entries.map((entry) => ({
          key: entry.key,
          dependsOn: reconcilerOf(kindOf(entry))?.dependsOn?.(entry.spec) ?? [],
          entry,
        })),
      );
      // Dependents go first: a role granted on a database leaves before the database does. (A cycle among specs that
      // were each valid when applied cannot be ordered; those go in one stage.)
      const stages =
        pruneOrder.kind === 'ordered'
          ? [...pruneOrder.stages].reverse()
          : [entries.map((entry) => ({ key: entry.key, dependsOn: [], entry }))];
      const unknown = stages.flat().filter(({ entry }) => !reconcilers.has(kindOf(entry)));
      for (const { entry } of unknown) {
        results.set(entry.key, {
          key: entry.key,
          action: 'skipped',
          changes: [],
          message: `no reconciler of this folder handles ${kindOf(entry)} any more, so it is left alone`,
        });
      }
      const known = stages.map((stage) => stage.filter(({ entry }) => reconcilers.has(kindOf(entry))));
      await runInStages(
        known,
        ({ entry }) => reconcilerOf(kindOf(entry)),
        async ({ entry }) => {
          const result = await pruneOne(entry);
          results.set(entry.key, result);
          if (result.action === 'failed') {
            failures++;
            inventory.push(entry); // the next reconcile tries again
          }
        },
      );
      return failures;
    }

    async function pruneOne(entry: ResourceInventoryEntry): Promise<ObjectResult> {
      const reconciler = reconcilerOf(kindOf(entry));
      const ctx = contextFor(kindOf(entry));
      const key = entry.key;
      try {
        const observed = await withRetries(() => reconciler.observe(entry.spec, ctx), deps.retry);
        const decision = decideStale(observed.value, folder.ownerId);
        if (decision.kind === 'gone') return { key, action: 'deleted', changes: [], message: 'already gone' };
        if (decision.kind === 'skip') return { key, action: 'skipped', changes: [], message: decision.reason };
        if (request.dryRun) return { key, action: 'deleted', changes: [] };
        const removed = await withRetries(() => reconciler.remove(entry.spec, observed.value!, ctx), deps.retry);
        return removed.value === 'retained'
          ? {
              key,
              action: 'retained',
              changes: [],
              message: 'left Git; its reconciler keeps it (see its deletion policy)',
            }
          : { key, action: 'deleted', changes: [], attempts: removed.attempts };
      } catch (error) {
        const attempts = (error as { attempts?: number }).attempts ?? 1;
        return { key, action: 'failed', changes: [], message: `delete failed: ${messageOf(error)}`, attempts };
      }
    }

    const all = [...results.values()].sort((a, b) => a.key.localeCompare(b.key));
    const nextInventory = sortedInventory(inventory);
    const failures = all.filter(isFailure);
    if (failures.length > 0 || pruneFailures > 0) {
      const problems = all.filter(isFailure);
      const message = `${problems.length} of ${all.length} objects did not reconcile: ${problems
        .slice(0, 3)
        .map((r) => `${r.key}: ${r.message ?? r.action}`)
        .join('; ')}${problems.length > 3 ? '; …' : ''}`;
      const sawEverything = all.every((r) => r.action !== 'failed');
      return {
        outcome: { kind: 'failed', revision, results: all, inventory: nextInventory, message },
        findings: sawEverything ? findings : undefined,
      };
    }
    if (folder.prune && gate.kind === 'refused') {
      return {
        outcome: {
          kind: 'prune-refused',
          revision,
          results: all,
          inventory: nextInventory,
          message: `Prune refused: ${gate.reason}`,
        },
        findings,
      };
    }
    return { outcome: { kind: 'applied', revision, results: all, inventory: nextInventory }, findings };
  } finally {
    await run.close();
  }
}

function kindOf(entry: ResourceInventoryEntry): string {
  return entry.key.slice(0, entry.key.indexOf('/'));
}

/**
 * True when applying Git puts back a change made outside it: the object was ours and Git has not changed its spec
 * since it was last applied, yet the provider differs (or it is gone). A change that Git made is not drift.
 */
function revertsDrift(e: Examined, before: ResourceInventoryEntry | undefined): boolean {
  if (!before || !deepEqual(before.spec, e.declaration.spec)) return false;
  return e.ownership.kind === 'absent' || (e.ownership.kind === 'ours' && e.changes.length > 0);
}
