import type { DriftCacheStore } from '../../adapters/state/drift-cache';
import type { Alert } from '../../core/alerts/alert';
import type { AlertState, Undelivered } from '../../core/alerts/alert-state';
import { decideAlerts, type ScanOutcome, undeliveredOf } from '../../core/alerts/decide-alerts';
import type { ClusterConfig } from '../../core/config/deployment-config';
import { sameRepo } from '../../core/config/repo-url';
import type { DriftReport } from '../../core/drift/drift-report';
import { parseIgnoreRules } from '../../core/drift/ignore-rules';
import { syncFindings } from '../../core/drift/sync-findings';
import { isPlainObject, type KubeObject } from '../../core/sync/kube-object';
import { parseObjectKey } from '../../core/sync/object-id';
import { type SyncRef, selectorFor, withOwnership } from '../../core/sync/ownership';
import { type DriftCluster, type DriftScanStats, scanDrift } from '../../engine/drift/scan-drift';
import type { DesiredState } from './desired-state';

/** A cluster as the scanner reaches it: the drift scan's reads plus LIST of Syncs, and a way to let go of it. */
export interface ScannedCluster extends DriftCluster {
  close(): void;
}

/** Everything one cluster's scan talks to; the handler builds these from the environment. */
export interface ScanClusterDeps {
  desired: (path: string) => Promise<DesiredState>;
  cluster: (config: ClusterConfig) => Promise<ScannedCluster>;
  cache: (cluster: string) => DriftCacheStore;
  alertState: {
    load(cluster: string): Promise<AlertState | undefined>;
    save(cluster: string, s: AlertState): Promise<void>;
  };
  /** Delivery per channel; a channel that fails is reported, the others still deliver. */
  channels: { name: string; deliver(alert: Alert): Promise<void> }[];
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

const syncApiVersion = 'tidemark.dev/v1alpha1';

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
    outcome = { kind: 'failed', cluster: config.name, message: (error as Error).message };
  }
  const previous = await deps.alertState.load(config.name);
  const { alerts, redeliveries, next } = decideAlerts(previous, outcome, deps.now(), deps.renotifyHours);
  const deliveryErrors: string[] = [];
  const undelivered: Undelivered[] = [];
  const sends = [
    ...alerts.map((alert) => ({ alert, channels: deps.channels })),
    ...redeliveries.map((r) => ({
      alert: r.alert,
      channels: deps.channels.filter((c) => r.channels.includes(c.name)),
    })),
  ];
  for (const { alert, channels } of sends) {
    const missed: string[] = [];
    for (const channel of channels) {
      try {
        await channel.deliver(alert);
      } catch (error) {
        missed.push(channel.name);
        deliveryErrors.push(`${channel.name}: ${(error as Error).message}`);
      }
    }
    if (missed.length > 0) undelivered.push(undeliveredOf(alert, missed));
  }
  // Saved even when a channel failed: the channels that took the alert must not get it twice. What a channel missed
  // is remembered and sent to it alone by the next scan, while it still describes the cluster.
  await deps.alertState.save(config.name, { ...next, undelivered });
  return {
    cluster: config.name,
    outcome,
    ...(stats ? { stats } : {}),
    alerts: sends.map((s) => s.alert.kind),
    deliveryErrors,
    durationMs: deps.now().getTime() - started.getTime(),
  };
}

async function scanOnce(
  config: ClusterConfig,
  deps: ScanClusterDeps,
): Promise<{ report: DriftReport; stats: DriftScanStats }> {
  const desired = await deps.desired(config.path);
  const cluster = await deps.cluster(config);
  try {
    const syncs = await syncsFor(cluster, config, deps.repoUrl);
    const sync: SyncRef = syncs[0]
      ? { namespace: syncs[0].metadata.namespace ?? config.agentNamespace, name: syncs[0].metadata.name }
      : { namespace: config.agentNamespace, name: config.name };
    const cache = deps.cache(config.name);
    const {
      report,
      cache: verdicts,
      stats,
    } = await scanDrift(
      {
        cluster: config.name,
        revision: desired.revision,
        desired: desired.objects.map((o) => withOwnership(o, sync)),
        labelSelector: selectorFor(sync),
        rules: parseIgnoreRules(desired.driftRules),
        extraKinds: inventoryKinds(syncs[0]),
        syncFindings: syncFindings(
          syncs,
          { revision: desired.revision, committedAt: desired.committedAt },
          deps.now(),
          deps.revisionLagMinutes,
        ),
        previous: await cache.load().catch(() => new Map()),
        now: deps.now(),
      },
      cluster,
    );
    await cache.save(verdicts);
    return { report, stats };
  } finally {
    cluster.close();
  }
}

/** The Syncs in the agent's namespace that apply this cluster's path of the config repo. */
async function syncsFor(cluster: ScannedCluster, config: ClusterConfig, repoUrl: string): Promise<KubeObject[]> {
  let all: KubeObject[];
  try {
    all = await cluster.list(syncApiVersion, 'Sync', {});
  } catch (error) {
    // No Sync CRD yet: the agent is not installed. Everything in Git then shows as missing, which says the same.
    if (error instanceof Error && error.name === 'UnknownKindError') return [];
    throw error;
  }
  const normal = (p: unknown) => String(p ?? '.').replace(/^\.\/|\/+$/g, '');
  return all.filter((s) => {
    const spec = isPlainObject(s.spec) ? s.spec : {};
    return (
      s.metadata.namespace === config.agentNamespace &&
      normal(spec.path) === normal(config.path) &&
      (spec.url === undefined || sameRepo(String(spec.url), repoUrl))
    );
  });
}

/** Kinds the Sync applied last (its inventory), so an object whose kind left Git entirely is still found as orphan. */
function inventoryKinds(sync: KubeObject | undefined): { apiVersion: string; kind: string }[] {
  const status = isPlainObject(sync?.status) ? sync.status : {};
  const inventory = isPlainObject(status.inventory) ? status.inventory : {};
  const entries = Array.isArray(inventory.entries) ? inventory.entries.filter(isPlainObject) : [];
  return entries.flatMap((entry) => {
    try {
      const id = parseObjectKey(String(entry.id));
      return [{ apiVersion: id.group ? `${id.group}/${entry.v}` : String(entry.v), kind: id.kind }];
    } catch {
      return [];
    }
  });
}
