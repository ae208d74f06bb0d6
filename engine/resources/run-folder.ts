import type { ScanOutcome } from '../../core/alerts/decide-alerts';
import { type DeclarationFile, describeProblem } from '../../core/resources/parse-declarations';
import type { Reconciler } from '../../core/resources/reconciler';
import { driftTarget, resourcesDriftReport } from '../../core/resources/resources-drift';
import type { ResourcesOutcome } from '../../core/resources/resources-outcome';
import type { ResourceFolderConfig } from '../../core/resources/resources-settings';
import {
  initialStatus,
  needsCatchUp,
  type ResourcesStatus,
  statusAfterReconcile,
  statusAfterScan,
} from '../../core/resources/resources-status';
import { type AlertPipeline, type Announced, announceDrift } from '../drift/announce-drift';
import { type ReconcileDeps, reconcileFolder } from './reconcile-folder';
import { scanFolder } from './scan-folder';
import { messageOf } from './with-retries';

/** The config repo as a run reads it: a folder's files at the branch head, and that head. */
export interface DeclarationSource {
  read(path: string): Promise<{ revision: string; files: DeclarationFile[] }>;
}

/** Where a folder's status lives between runs (the State table), written with optimistic concurrency. */
export interface ResourcesStatusStore {
  load(name: string): Promise<{ status: ResourcesStatus; version: number } | undefined>;
  /** Fails when another run saved since `version` was loaded (`undefined`: the status must not exist yet). */
  save(status: ResourcesStatus, version: number | undefined): Promise<void>;
}

export interface RunFolderDeps extends ReconcileDeps {
  folder: ResourceFolderConfig;
  reconcilers: ReadonlyMap<string, Reconciler>;
  source: DeclarationSource;
  statusStore: ResourcesStatusStore;
  alerts: AlertPipeline;
  now: () => Date;
}

export type RunFolderResult =
  | { kind: 'reconciled'; revision?: string; outcome: ResourcesOutcome; announced?: Announced }
  | { kind: 'scanned'; revision?: string; outcome: ScanOutcome; healed: number; announced: Announced };

/**
 * One run of a folder's Lambda. A push (a sync request for its folder) reconciles Git's head. A scheduled run scans
 * for drift, or reconciles instead when Git moved past the last attempt or that attempt failed in a way that another
 * try can fix, so a missed webhook or an outage of the provider heals at the next scheduled run. Every run saves the
 * status (`tidemark get resources`) and feeds what it saw into the drift alerts; a run that could not see everything
 * leaves the alert state alone.
 */
export async function runFolder(trigger: 'push' | 'schedule', deps: RunFolderDeps): Promise<RunFolderResult> {
  const { folder } = deps;
  const target = driftTarget(folder.name);
  const loaded = await deps.statusStore.load(folder.name);
  const previous = loaded?.status ?? initialStatus(folder.name, folder.path);
  let revision: string;
  let files: DeclarationFile[];
  try {
    ({ revision, files } = await deps.source.read(folder.path));
  } catch (error) {
    const message = `cannot read the config repo: ${messageOf(error)}`;
    if (trigger === 'push') {
      const outcome: ResourcesOutcome = { kind: 'fetch-failed', message };
      await deps.statusStore.save(statusAfterReconcile(previous, outcome, deps.now()), loaded?.version);
      return { kind: 'reconciled', outcome };
    }
    const outcome: ScanOutcome = { kind: 'failed', cluster: target, message };
    await deps.statusStore.save(statusAfterScan(previous, scanSummary(outcome, 0, deps.now())), loaded?.version);
    return {
      kind: 'scanned',
      outcome,
      healed: 0,
      announced: await announceDrift(target, outcome, deps.alerts, deps.now()),
    };
  }

  if (trigger === 'push' || needsCatchUp(previous, revision)) {
    const { outcome, findings } = await reconcileFolder(
      { folder, reconcilers: deps.reconcilers, files, revision, previous: previous.inventory },
      deps,
    );
    await deps.statusStore.save(statusAfterReconcile(previous, outcome, deps.now()), loaded?.version);
    if (!findings) {
      // It could not see everything (a provider that did not answer, a broken declaration): the "cannot scan" alert,
      // once for a run of such failures, with the reason; the drift state stays as the last full look left it.
      const message =
        outcome.kind === 'invalid' ? invalidMessage(outcome) : 'message' in outcome ? outcome.message : '';
      const failed: ScanOutcome = { kind: 'failed', cluster: target, message };
      return {
        kind: 'reconciled',
        revision,
        outcome,
        announced: await announceDrift(target, failed, deps.alerts, deps.now()),
      };
    }
    const report = resourcesDriftReport({
      folder: folder.name,
      revision,
      scannedAt: deps.now(),
      objectsScanned: 'results' in outcome ? outcome.results.length : 0,
      findings,
    });
    const announced = await announceDrift(target, { kind: 'scanned', report }, deps.alerts, deps.now());
    return { kind: 'reconciled', revision, outcome, announced };
  }

  const scan = await scanFolder(
    { folder, reconcilers: deps.reconcilers, files, revision, inventory: previous.inventory, now: deps.now },
    deps,
  );
  await deps.statusStore.save(
    statusAfterScan(previous, scanSummary(scan.outcome, scan.healed, deps.now(), revision)),
    loaded?.version,
  );
  const announced = await announceDrift(target, scan.outcome, deps.alerts, deps.now());
  return { kind: 'scanned', revision, outcome: scan.outcome, healed: scan.healed, announced };
}

function invalidMessage(outcome: Extract<ResourcesOutcome, { kind: 'invalid' }>): string {
  return `revision ${outcome.revision} has broken declarations: ${outcome.problems.map(describeProblem).join('; ')}`;
}

function scanSummary(outcome: ScanOutcome, healed: number, now: Date, revision?: string) {
  return {
    time: now.toISOString(),
    ...(revision ? { revision } : {}),
    ...(outcome.kind === 'failed'
      ? { outcome: 'failed' as const, findings: 0, message: outcome.message }
      : {
          outcome: outcome.report.findings.length > 0 ? ('drifted' as const) : ('in-sync' as const),
          findings: outcome.report.findings.length,
        }),
    ...(healed > 0 ? { healed } : {}),
  };
}
