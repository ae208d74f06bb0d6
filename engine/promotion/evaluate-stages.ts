import type { ConfigRepo, HeadFiles } from '../../adapters/config-repo/config-repo';
import type { VersionedItems } from '../../adapters/state/versioned-items';
import { IMAGE_POLICY_FILE, type ImagePolicy, parseImagePolicies } from '../../core/images/image-policy';
import { decideStage } from '../../core/promotion/decide-promotion';
import { type ClusterEvidence, candidateOf } from '../../core/promotion/evidence';
import {
  PROMOTIONS_FILE,
  type PromotionPipeline,
  type PromotionStage,
  parsePromotions,
} from '../../core/promotion/promotion-file';
import type { CandidateStanding, ScanResult } from '../../core/promotion/standing';
import { catchUpEvidence, readEvidence, readScan, readStage, recordScan, type StageRecord } from './promotion-records';

/** The promotion pipelines of the config repo, the image policies they name, and the head both were read at. */
export interface PipelinesRead {
  base: HeadFiles;
  policies: ImagePolicy[];
  pipelines: PromotionPipeline[];
}

/**
 * Reads `.tidemark/promotions.yaml` and `.tidemark/images.yaml` at the head of the config repo's branch; `undefined`
 * when the repo has no promotions file. Either file invalid throws its error naming file, line and key.
 */
export async function readPipelines(repo: ConfigRepo): Promise<PipelinesRead | undefined> {
  const base = await repo.read([IMAGE_POLICY_FILE, PROMOTIONS_FILE]);
  if (!base) {
    throw new Error(`branch ${repo.defaultBranch} of ${repo.url} does not exist. Set configRepo.branch to its branch`);
  }
  const text = base.files.get(PROMOTIONS_FILE);
  if (text === undefined) return undefined;
  const policies = parseImagePolicies(base.files.get(IMAGE_POLICY_FILE) ?? 'policies: []');
  const pipelines = parsePromotions(text, { policies: policies.map((p) => p.name) });
  return { base, policies, pipelines };
}

/** What the evaluation reads beside the config repo. */
export interface EvaluateDeps {
  items: VersionedItems;
  now: () => Date;
  /**
   * Asks ECR for a digest's scan (`DescribeImageScanFindings`) when no final verdict is recorded: the catch-up for a
   * missed `ECR Image Scan` event. Absent: only recorded verdicts count.
   */
  describeScan?: (repository: string, digest: string) => Promise<ScanResult>;
  log?: (message: string, details: Record<string, unknown>) => void;
  /**
   * Also reads the notifier's record of each known upstream Sync and folds in the transitions the promoter missed (the
   * scheduled run does). Default: only the evidence the promoter's own events built.
   */
  catchUpEvidence?: boolean;
}

/** One promoted stage, judged: its ledger and where each of its policies' candidates stands. */
export interface StageEvaluation {
  pipeline: string;
  stage: PromotionStage;
  upstream: PromotionStage;
  policies: ImagePolicy[];
  record: StageRecord;
  standings: CandidateStanding[];
}

/**
 * Judges every promoted stage (each but the first of a pipeline) on the evidence in the State table: the previous
 * stage's deployments, the scans, the stage's ledger. Reads only, apart from recording scan verdicts it asked ECR for.
 */
export async function evaluateStages(read: PipelinesRead, deps: EvaluateDeps): Promise<StageEvaluation[]> {
  const now = deps.now();
  const evidence = new Map<string, Promise<ClusterEvidence | undefined>>();
  const evidenceOf = (cluster: string) => {
    let found = evidence.get(cluster);
    if (!found) {
      found = readEvidence(deps.items, cluster).then((e) =>
        deps.catchUpEvidence ? catchUpEvidence(deps.items, cluster, e) : e,
      );
      evidence.set(cluster, found);
    }
    return found;
  };
  const out: StageEvaluation[] = [];
  for (const pipeline of read.pipelines) {
    for (const [i, stage] of pipeline.stages.entries()) {
      if (i === 0) continue;
      const upstream = pipeline.stages[i - 1]!;
      const policies = stage.policies.map((name) => read.policies.find((p) => p.name === name)!);
      const upstreamEvidence = await evidenceOf(upstream.cluster);
      const record = await readStage(deps.items, pipeline.name, stage.name);
      const scans = new Map<string, ScanResult | undefined>();
      if (stage.gates?.scan) {
        for (const policy of policies) {
          const candidate = candidateOf(upstreamEvidence, policy.repository);
          if (!candidate) continue;
          scans.set(
            `${policy.repository}@${candidate.digest}`,
            await scanOf(policy.repository, candidate.digest, deps),
          );
        }
      }
      const standings = decideStage({
        pipeline: pipeline.name,
        stage,
        upstream,
        policies,
        upstreamEvidence,
        scanOf: (repository, digest) => scans.get(`${repository}@${digest}`),
        promoted: record.promoted,
        now,
      }).map((s) => withRefusal(s, record));
      out.push({ pipeline: pipeline.name, stage, upstream, policies, record, standings });
    }
  }
  return out;
}

/** The recorded verdict, or, when there is none final, ECR's answer now (recorded for the next run). */
async function scanOf(repository: string, digest: string, deps: EvaluateDeps): Promise<ScanResult | undefined> {
  const recorded = await readScan(deps.items, repository, digest);
  if ((recorded && recorded.status !== 'pending') || !deps.describeScan) return recorded;
  try {
    const asked = await deps.describeScan(repository, digest);
    await recordScan(deps.items, repository, digest, asked);
    if (asked.status !== 'pending')
      deps.log?.('scan verdict caught up from ECR', { repository, digest, status: asked.status });
    return asked;
  } catch (e) {
    // ECR unreachable or not granted: the gate stays pending on what is recorded; the next run asks again.
    deps.log?.('could not describe the scan findings', { repository, digest, error: (e as Error).message });
    return recorded;
  }
}

/** A digest the write refused before (a downgrade, a tag outside the policy's range) is blocked, not retried. */
function withRefusal(s: CandidateStanding, record: StageRecord): CandidateStanding {
  const refused = record.refused[s.policy];
  if (s.state !== 'ready' || !refused || refused.digest !== s.candidate?.digest) return s;
  return { ...s, state: 'blocked', heldBy: { gate: 'write', reason: refused.reason } };
}
