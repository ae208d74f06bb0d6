import { join } from 'node:path';
import type { AlertChannel } from '../../adapters/alerts/alert-channels';
import type { DriftCacheStore } from '../../adapters/state/drift-cache';
import type { Alert } from '../../core/alerts/alert';
import type { AlertState } from '../../core/alerts/alert-state';
import type { ScanOutcome } from '../../core/alerts/decide-alerts';
import type { ClusterConfig } from '../../core/config/deployment-config';
import { sameRepo } from '../../core/config/repo-url';
import { type DriftFindings, driftFindingsAfter } from '../../core/drift/drift-findings';
import type { DriftReport } from '../../core/drift/drift-report';
import { parseIgnoreRules } from '../../core/drift/ignore-rules';
import { syncFindings } from '../../core/drift/sync-findings';
import { redactSecrets } from '../../core/notify/redact';
import { inventoryKinds } from '../../core/sync/inventory';
import type { KubeObject } from '../../core/sync/kube-object';
import type { SyncRef } from '../../core/sync/ownership';
import { parseSync, type Sync, samePath, syncApiVersion, syncKind } from '../../core/sync/sync';
import type { ReadOnlyCluster } from '../../engine/cluster-port';
import { announceDrift } from '../../engine/drift/announce-drift';
import { diffFolder } from '../../engine/drift/diff-folder';
import type { DriftScanStats } from '../../engine/drift/scan-drift';
import { isUnknownKind } from '../../engine/live-state';
import type { ReleaseCluster } from '../../engine/render/render-release';
import type { DesiredState } from './desired-state';
import { fluxReleasesDesired, helmDesired } from './helm-desired';

/** A cluster as the scanner reaches it: the drift scan's reads plus LIST of Syncs, and a way to let go of it. */
export type ScannedCluster = ReadOnlyCluster &
  ReleaseCluster & {
    close(): void;
  };

/** Everything one cluster's scan talks to; the handler builds these from the environment. */
export interface ScanClusterDeps {
  /** The config repo's head, fetched once per run and shared by every cluster's scan. */
  desired: () => Promise<DesiredState>;
  cluster: (config: ClusterConfig) => Promise<ScannedCluster>;
  cache: (cluster: string) => DriftCacheStore;
  alertState: {
    load(cluster: string): Promise<AlertState | undefined>;
    save(cluster: string, s: AlertState): Promise<void>;
  };
  /** Delivery per channel; a channel that fails is reported, the others still deliver. */
  channels: AlertChannel[];
  /** Where the findings themselves are kept for `tidemark ui` (the alert state keeps only their fingerprint). */
  findings?: {
    load(cluster: string): Promise<DriftFindings | undefined>;
    save(findings: DriftFindings): Promise<void>;
  };
  repoUrl: string;
  revisionLagMinutes: number;
  renotifyHours: number;
  now: () => Date;
}

export interface ClusterScanResult {
  cluster: string;
  outcome: ScanOutcome;
  stats?: DriftScanStats;
  alerts: Alert['kind'][];
  deliveryErrors: string[];
  durationMs: number;
}

/**
 * One cluster: what Git says at the head (rendered), what runs (LIST by our labels), the drift between them, and the
 * alerts that drift calls for. A scan that cannot reach the cluster or Git is an outcome (`failed`), which the alert
 * rules turn into one "scan failing" alert, not an exception per run.
 */
export async function scanCluster(config: ClusterConfig, deps: ScanClusterDeps): Promise<ClusterScanResult> {
  const started = deps.now();
  let outcome: ScanOutcome;
  let stats: DriftScanStats | undefined;
  try {
    const result = await scanOnce(config, deps);
    outcome = { kind: 'scanned', report: result.report };
    stats = result.stats;
  } catch (error) {
    // The reason goes to Slack, SNS and the State table: no URL user-info or token in it (core/notify/redact.ts).
    outcome = { kind: 'failed', cluster: config.name, message: redactSecrets((error as Error).message) };
  }
  // The reconcilers' drift alerts go through the same pipeline (engine/drift/announce-drift.ts): one set of rules for
  // appearing, changed, resolved and scan-failing alerts, and for a channel that missed one.
  const { alerts, deliveryErrors } = await announceDrift(
    config.name,
    outcome,
    { state: deps.alertState, channels: deps.channels, renotifyHours: deps.renotifyHours },
    deps.now(),
  );
  // After the alerts, and never in their way: a page that shows stale findings is better than a missed alert.
  const stored = await storeFindings(config.name, outcome, deps);
  return {
    cluster: config.name,
    outcome,
    ...(stats ? { stats } : {}),
    alerts,
    deliveryErrors: stored ? [...deliveryErrors, stored] : deliveryErrors,
    durationMs: deps.now().getTime() - started.getTime(),
  };
}

/** Saves the findings with their first sightings; returns why it could not, for the scan's error log. */
async function storeFindings(
  cluster: string,
  outcome: ScanOutcome,
  deps: ScanClusterDeps,
): Promise<string | undefined> {
  if (!deps.findings) return undefined;
  try {
    await deps.findings.save(driftFindingsAfter(await deps.findings.load(cluster), outcome, deps.now()));
    return undefined;
  } catch (error) {
    return `the drift findings of ${cluster} were not stored: ${(error as Error).message}`;
  }
}

async function scanOnce(
  config: ClusterConfig,
  deps: ScanClusterDeps,
): Promise<{ report: DriftReport; stats: DriftScanStats }> {
  const head = await deps.desired();
  const cluster = await deps.cluster(config);
  try {
    const syncs = await syncsFor(cluster, config, deps.repoUrl);
    // No Sync object (the agent runs the default one): objects carry the labels of `<agentNamespace>/<cluster name>`.
    const sync: SyncRef = syncs[0]?.ref ?? { namespace: config.agentNamespace, name: config.name };
    const dir = join(head.dir, config.path);
    const spec = syncs[0]?.spec;
    // A Helm release is rendered as the agent renders it, but dry (the scanner may not read Secrets, so no lookup):
    // generated fields and the objects of templates that call lookup are left out of the judgement.
    const helm =
      spec?.ok && spec.spec.helm
        ? await helmDesired(cluster, syncs[0] as Sync, spec.spec.helm, head, dir)
        : spec?.ok && spec.spec.fluxHelmReleases
          ? await fluxReleasesDesired(cluster, syncs[0] as Sync, head, dir)
          : undefined;
    const result = await diffFolder(cluster, {
      dir,
      render: helm
        ? async () => helm.objects
        : (folder) => head.render(folder, { remoteResources: spec?.ok === true && spec.spec.remoteResources }),
      sync,
      cluster: config.name,
      revision: head.revision,
      rules: [...parseIgnoreRules(head.driftRules), ...(helm?.rules ?? [])],
      cache: deps.cache(config.name),
      extraKinds: inventoryKinds(syncs[0]?.status.inventory),
      syncFindings: syncFindings(syncs, head, deps.now(), deps.revisionLagMinutes),
      now: deps.now(),
    });
    return helm && helm.unjudged.length > 0
      ? { ...result, report: { ...result.report, unjudged: helm.unjudged } }
      : result;
  } finally {
    cluster.close();
  }
}

/** The Syncs in the agent's namespace that apply this cluster's path of the config repo. */
async function syncsFor(cluster: ScannedCluster, config: ClusterConfig, repoUrl: string): Promise<Sync[]> {
  let all: KubeObject[];
  try {
    all = await cluster.list(syncApiVersion, syncKind, {});
  } catch (error) {
    // No Sync CRD yet: the agent is not installed. Everything in Git then shows as missing, which says the same.
    if (isUnknownKind(error)) return [];
    throw error;
  }
  return all
    .map(parseSync)
    .filter(
      ({ ref, declared }) =>
        ref.namespace === config.agentNamespace &&
        samePath(declared.path, config.path) &&
        (declared.url === undefined || sameRepo(declared.url, repoUrl)),
    );
}
