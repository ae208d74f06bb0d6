import type { ScanOutcome } from '../../core/alerts/decide-alerts';
import { type Declaration, resourceKey } from '../../core/resources/declaration';
import { type DeclarationFile, describeProblem } from '../../core/resources/parse-declarations';
import type { Reconciler } from '../../core/resources/reconciler';
import type { ResourceInventory } from '../../core/resources/resource-inventory';
import { staleEntries } from '../../core/resources/resource-inventory';
import { driftTarget, type ResourceFinding, resourcesDriftReport } from '../../core/resources/resources-drift';
import { shownChange } from '../../core/resources/resources-outcome';
import { type Examination, type Examined, examine, immutableReasons } from './examine';
import { prepareFolder } from './prepare-folder';
import type { FolderSpec, ReconcileDeps } from './reconcile-folder';
import { runInStages } from './run-in-stages';
import { messageOf, withRetries } from './with-retries';

export interface ScanFolderRequest {
  folder: FolderSpec & { selfHeal: boolean };
  reconcilers: ReadonlyMap<string, Reconciler>;
  files: readonly DeclarationFile[];
  revision: string;
  /** The inventory of the last reconcile: what is ours, and what self-heal may put back. */
  inventory: ResourceInventory;
  now: () => Date;
}

export interface ScanFolderResult {
  /** For the alert pipeline: a drift report, or why the scan could not see the provider. */
  outcome: ScanOutcome;
  findings: ResourceFinding[];
  /** Objects self-heal put back. */
  healed: number;
}

/**
 * A drift scan of a folder: every declared object observed and planned against Git, and every object that left Git
 * but still carries our marker looked up. Nothing is written, unless the folder has `selfHeal`, and then only objects
 * the last reconcile applied (in its inventory) are put back, and each is reported as reverted: a correction nobody
 * hears of is the fault of Crossplane's and ACK's drift handling this exists to avoid (crossplane/crossplane#5822).
 * A scan that cannot observe an object fails as a whole, so the alert state never follows a partial view.
 */
export async function scanFolder(request: ScanFolderRequest, deps: ReconcileDeps): Promise<ScanFolderResult> {
  const { folder, reconcilers, revision } = request;
  const target = driftTarget(folder.name);
  const failed = (message: string): ScanFolderResult => ({
    outcome: { kind: 'failed', cluster: target, message },
    findings: [],
    healed: 0,
  });
  const prepared = prepareFolder(folder, reconcilers, request.files, deps);
  if (prepared.kind === 'invalid') {
    return failed(`revision ${revision} has broken declarations: ${prepared.problems.map(describeProblem).join('; ')}`);
  }
  const { run, contextFor, reconcilerOf, policy } = prepared;
  const keyOf = (d: Declaration) => resourceKey(d.kind, d.identity);
  const applied = new Set(request.inventory.entries.map((e) => e.key));
  try {
    const examinations = new Map<string, Examination>();
    await runInStages(
      [prepared.stages.flat()],
      (item) => reconcilerOf(item.d.kind),
      async ({ d, key }) => {
        examinations.set(key, await examine(d, reconcilerOf(d.kind), contextFor(d.kind), policy, deps.retry));
      },
    );
    const unseen = [...examinations.values()].filter((e) => e.kind === 'failed');
    if (unseen.length > 0) {
      const first = unseen[0]!;
      return failed(
        `${unseen.length} of ${examinations.size} objects could not be observed (${keyOf(first.declaration)}: ${first.message})`,
      );
    }

    const findings = new Map<string, ResourceFinding>();
    const drifted: Examined[] = [];
    for (const examination of examinations.values()) {
      if (examination.kind !== 'examined') continue;
      const e = examination.examined;
      const key = keyOf(e.declaration);
      if (e.ownership.kind === 'foreign') findings.set(key, { kind: 'foreign', key, message: e.ownership.message });
      else if (e.ownership.kind === 'absent') findings.set(key, { kind: 'missing', key });
      else if (e.changes.length > 0) findings.set(key, { kind: 'modified', key, changes: e.changes.map(shownChange) });
      else continue;
      if (e.ownership.kind !== 'foreign' && applied.has(key) && !immutableReasons(e.changes)) drifted.push(e);
    }

    const stale = staleEntries(request.inventory, new Set(examinations.keys())).filter((e) =>
      reconcilers.has(e.key.slice(0, e.key.indexOf('/'))),
    );
    try {
      await runInStages(
        [stale],
        (entry) => reconcilerOf(entry.key.slice(0, entry.key.indexOf('/'))),
        async (entry) => {
          const kind = entry.key.slice(0, entry.key.indexOf('/'));
          const { value } = await withRetries(
            () => reconcilerOf(kind).observe(entry.spec, contextFor(kind)),
            deps.retry,
          );
          if (value?.owner === folder.ownerId) findings.set(entry.key, { kind: 'orphan', key: entry.key });
        },
      );
    } catch (error) {
      return failed(`an object that left Git could not be observed: ${messageOf(error)}`);
    }

    let healed = 0;
    if (folder.selfHeal && drifted.length > 0) {
      const keys = new Set(drifted.map((e) => keyOf(e.declaration)));
      const stages = prepared.stages.map((stage) => stage.filter(({ key }) => keys.has(key)));
      const byKey = new Map(drifted.map((e) => [keyOf(e.declaration), e]));
      await runInStages(
        stages,
        (item) => reconcilerOf(item.d.kind),
        async ({ key }) => {
          const e = byKey.get(key)!;
          try {
            await withRetries(
              () => e.reconciler.apply(e.declaration.spec, e.observed, e.changes, contextFor(e.declaration.kind)),
              deps.retry,
            );
            const finding = findings.get(key);
            if (finding && (finding.kind === 'modified' || finding.kind === 'missing')) finding.reverted = true;
            healed++;
          } catch (error) {
            deps.log.warn('self-heal could not put an object back', { key, error: messageOf(error) });
          }
        },
      );
    }

    const list = [...findings.values()].sort((a, b) => a.key.localeCompare(b.key));
    const report = resourcesDriftReport({
      folder: folder.name,
      revision,
      scannedAt: request.now(),
      objectsScanned: examinations.size,
      findings: list,
    });
    return { outcome: { kind: 'scanned', report }, findings: list, healed };
  } finally {
    await run.close();
  }
}
