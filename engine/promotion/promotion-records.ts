import type { VersionedItems } from '../../adapters/state/versioned-items';
import type { DeploymentEvent } from '../../core/notify/deployment-event';
import type { SyncNotifyState } from '../../core/notify/notify-state';
import { type ClusterEvidence, missedEvents, observeDeployment } from '../../core/promotion/evidence';
import type { GateName, PromotionRecord, ScanResult } from '../../core/promotion/standing';
import { deploySyncKey, promoteEvidenceKey, promoteScanKey, promoteStageKey } from '../../core/state/state-keys';

/**
 * The promoter's records in the State table (plain attributes, readable by the CLI and the UI):
 * - `promote-evidence#<cluster>`: each Sync's deployed digests and healthy period, from deployment events;
 * - `promote-scan#<repository>@<digest>`: ECR's scan verdict for a digest;
 * - `promote-stage#<pipeline>#<stage>`: the stage's ledger (promotions made, one in flight, what was said, statuses).
 */
export const evidenceId = (cluster: string) => promoteEvidenceKey(cluster);
export const scanId = (repository: string, digest: string) => promoteScanKey(repository.toLowerCase(), digest);
export const stageId = (pipeline: string, stage: string) => promoteStageKey(pipeline, stage);

/** The ledger of one stage: what makes a promotion happen once and a hold be said once. */
export interface StageRecord {
  /** Policy → the last promotion Tidemark made into this stage. */
  promoted: Record<string, PromotionRecord>;
  /** Policy → a promotion being written now; another run leaves it alone until `until` (ms since epoch). */
  inFlight: Record<string, { digest: string; until: number }>;
  /** Policy → a digest the write refused (a downgrade, a tag outside the policy's range), and why: not retried. */
  refused: Record<string, { digest: string; reason: string }>;
  /** Policy → `<digest>|<gate>|<state>` of the hold last said, so each hold is said once. */
  said: Record<string, string>;
  /** Policy → the gate statuses last set on GitHub for its candidate. */
  statuses: Record<string, { digest: string; gates: Partial<Record<GateName, string>> }>;
}

export const emptyStage = (): StageRecord => ({ promoted: {}, inFlight: {}, refused: {}, said: {}, statuses: {} });

/** Evidence lives as long as a soak could matter; scans as long as a digest may still be a candidate. */
const ttl = { evidence: 90 * 24 * 3600, scan: 30 * 24 * 3600, stage: 365 * 24 * 3600 };

/** Folds a deployment event into its cluster's evidence (a repeat or a late delivery changes nothing). */
export async function recordDeploymentEvent(items: VersionedItems, event: DeploymentEvent): Promise<ClusterEvidence> {
  const { evidence } = await items.update<ClusterEvidence, never, { evidence: ClusterEvidence }>(
    evidenceId(event.cluster),
    (current) => {
      const evidence = observeDeployment(current.state, event);
      return { state: evidence, outbox: [], result: { evidence } };
    },
    { ttlSeconds: ttl.evidence },
  );
  return evidence;
}

/**
 * Records ECR's verdict for a digest. A complete or failed scan is final for the digest (ECR's basic scan runs once per
 * push); a pending answer never overwrites a final one.
 */
export async function recordScan(items: VersionedItems, repository: string, digest: string, scan: ScanResult) {
  await items.update<ScanResult, never, object>(
    scanId(repository, digest),
    (current) => ({
      state: current.state && current.state.status !== 'pending' && scan.status === 'pending' ? current.state : scan,
      outbox: [],
      result: {},
    }),
    { ttlSeconds: ttl.scan },
  );
}

export async function readScan(
  items: VersionedItems,
  repository: string,
  digest: string,
): Promise<ScanResult | undefined> {
  return (await items.get<ScanResult, never>(scanId(repository, digest))).state;
}

export async function readEvidence(items: VersionedItems, cluster: string): Promise<ClusterEvidence | undefined> {
  return (await items.get<ClusterEvidence, never>(evidenceId(cluster))).state;
}

export async function readStage(items: VersionedItems, pipeline: string, stage: string): Promise<StageRecord> {
  return { ...emptyStage(), ...(await items.get<StageRecord, never>(stageId(pipeline, stage))).state };
}

/** Changes a stage's ledger; `change` is pure and may run more than once (another run wrote in between). */
export async function updateStage<R>(
  items: VersionedItems,
  pipeline: string,
  stage: string,
  change: (record: StageRecord) => { record: StageRecord; result: R },
): Promise<R> {
  const out = await items.update<StageRecord, never, { value: R }>(
    stageId(pipeline, stage),
    (current) => {
      const { record, result } = change({ ...emptyStage(), ...current.state });
      return { state: record, outbox: [], result: { value: result } };
    },
    { ttlSeconds: ttl.stage },
  );
  return out.value;
}

/**
 * Catches up the deployment events of a cluster's known Syncs that the promoter missed, from the notifier's records
 * (`deploy-sync#<cluster>#<namespace>/<name>`, written before the notifier puts the event on EventBridge). Syncs the
 * promoter has never heard of are learned from their next event. Returns the evidence, caught up.
 */
export async function catchUpEvidence(
  items: VersionedItems,
  cluster: string,
  evidence: ClusterEvidence | undefined,
): Promise<ClusterEvidence | undefined> {
  let current = evidence;
  for (const sync of Object.values(evidence?.syncs ?? {})) {
    // The notifier's item id: one builder for both sides (core/state/state-keys.ts).
    const { state } = await items.get<SyncNotifyState, never>(deploySyncKey(cluster, sync.sync));
    if (!state) continue;
    for (const event of missedEvents(state, sync.lastEventAt)) current = await recordDeploymentEvent(items, event);
  }
  return current;
}
