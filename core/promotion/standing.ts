import type { ScanSeverity } from './promotion-file';

/** The gates, in the order a candidate meets them; `write` is the last word of the image updater's planner (never a downgrade). */
export type GateName = 'upstream' | 'soak' | 'scan' | 'window' | 'write';
export const gateNames: readonly GateName[] = ['upstream', 'soak', 'scan', 'window'];

/**
 * One gate for one candidate: `passed`; `pending` (time or a scan will open it: `opensAt` when the clock alone
 * will); `blocked` (it will not open for this digest: findings over the threshold, a failed scan).
 */
export interface GateStanding {
  gate: GateName;
  state: 'passed' | 'pending' | 'blocked';
  /** For people: "3 CRITICAL findings, at most 0 allowed", "healthy in dev for 4m of 30m". */
  reason: string;
  opensAt?: string;
}

/** What ECR said about a digest's scan, from the `ECR Image Scan` event or `DescribeImageScanFindings`. */
export interface ScanResult {
  status: 'complete' | 'pending' | 'failed';
  counts: Partial<Record<ScanSeverity, number>>;
  /** ECR's description of a failed or unsupported scan. */
  description?: string;
  at: string;
  source: 'event' | 'describe';
}

/** A promotion made: what moved, where and when. */
export interface PromotionRecord {
  digest: string;
  tag?: string;
  at: string;
  /** The commit on the stage's branch, or on the pull-request branch. */
  sha: string;
  pullRequest?: { number: number; url: string };
}

/**
 * Where a candidate of one image policy stands in one stage of a pipeline: what `tidemark promotions` prints and the
 * UI's Promotions page shows.
 * - `promoted`: the stage has this digest (Tidemark wrote it); nothing to do.
 * - `waiting`: a gate will open by itself (soak, window, a scan to finish).
 * - `blocked`: a gate will not open for this digest; a newer build is needed.
 * - `ready`: every gate is open; the promoter writes it on its next run (seconds).
 * - `no-candidate`: the previous stage runs no digest of the policy's repository.
 */
export interface CandidateStanding {
  pipeline: string;
  stage: string;
  /** The stage this one promotes from. */
  from: string;
  cluster: string;
  policy: string;
  repository: string;
  state: 'promoted' | 'waiting' | 'blocked' | 'ready' | 'no-candidate';
  candidate?: {
    digest: string;
    tag?: string;
    revision?: string;
    deployedAt: string;
    healthySince?: string;
  };
  gates: GateStanding[];
  /** The first gate that is not passed, and why: "soak: healthy in dev for 4m of 30m". */
  heldBy?: { gate: GateName; reason: string };
  /** The last promotion into this stage for this policy. */
  lastPromotion?: PromotionRecord;
}

/** Every pipeline's stages with their candidates: the result of `readPromotionStandings`. */
export interface PromotionStandings {
  /** When they were read; the soak and window figures are as of this time. */
  at: string;
  /** The config repo revision `.tidemark/promotions.yaml` was read at. */
  revision: string;
  pipelines: {
    name: string;
    stages: { name: string; cluster: string; candidates: CandidateStanding[] }[];
  }[];
}
