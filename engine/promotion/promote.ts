import type { ConfigRepo, HeadFiles } from '../../adapters/config-repo/config-repo';
import type { GateStatusState } from '../../adapters/github/github-gate-statuses';
import type { SyncRequest } from '../../adapters/sync-queue/sync-request';
import type { ImagePolicy, WriteBack } from '../../core/images/image-policy';
import type { ImagePush } from '../../core/images/plan-image-update';
import { nextCheckAt } from '../../core/promotion/decide-promotion';
import type { CandidateStanding, GateName, PromotionRecord } from '../../core/promotion/standing';
import { updateImages } from '../../functions/image-updater/update-images';
import { type EvaluateDeps, evaluateStages, readPipelines, type StageEvaluation } from './evaluate-stages';
import { promotionDescriber } from './promotion-message';
import { updateStage } from './promotion-records';

/** Everything the promoter talks to; the handler builds it once per container. */
export interface PromoterDeps extends EvaluateDeps {
  repo: ConfigRepo;
  /** The clusters of the deployment config and their sync queues: a promotion commit is announced to the agent. */
  clusters?: readonly { name: string; path: string }[];
  syncQueues?: ReadonlyMap<string, { send(request: SyncRequest): Promise<unknown> }>;
  /** ECR `DescribeImages`, so the planner can confirm a digest no tag in Git dates. */
  imagesOf?: (repository: string) => Promise<ImagePush[]>;
  /** Commit statuses per gate on the upstream revision (provider `github` only). */
  gateStatuses?: {
    set(sha: string, stage: string, gate: string, state: GateStatusState, description: string): Promise<void>;
  };
  /** Asks for a run at `at`, when a gate opens by the clock (the end of a soak, a window opening). */
  wake?: (at: Date) => Promise<void>;
  /**
   * When a gate opens by the clock this soon, the run waits for it and looks again instead of asking for a wake-up:
   * SQS delays by whole seconds, so the last second before a soak ends is waited out here. Default 0 (never waits).
   */
  waitUpToMs?: number;
  /**
   * Tells people of a blocked promotion (the alerts topic), once per candidate and gate. A failure to tell is logged,
   * not retried: the hold is recorded as said first, so it is never told twice.
   */
  announce?: (hold: HoldSaid) => Promise<void>;
}

/** A hold said once: which gate holds which candidate, and why. */
export interface HoldSaid {
  pipeline: string;
  stage: string;
  policy: string;
  digest?: string;
  gate: GateName;
  state: CandidateStanding['state'];
  reason: string;
}

export interface PromotionMade {
  pipeline: string;
  stage: string;
  policy: string;
  digest: string;
  tag?: string;
  sha: string;
  pullRequest?: { number: number; url: string };
}

export interface PromotionRun {
  kind: 'no-promotions' | 'evaluated';
  standings: CandidateStanding[];
  promoted: PromotionMade[];
  /** Holds said for the first time in this run (a hold already said is not said again). */
  said: HoldSaid[];
  nextCheckAt?: Date;
}

/** How long a run may hold a stage's promotion before another may take it over (a Lambda's timeout, with room). */
const claimMs = 5 * 60_000;

/**
 * One promoter run, whatever woke it (a deployment event, a scan event, the schedule, a wake-up): judges every stage,
 * writes each candidate whose gates are all open into its stage, and says each new hold once.
 *
 * Idempotent: a promotion is claimed in the stage's ledger (a conditional write) before it is written, and recorded
 * with its commit after; a second run for the same evidence finds it claimed or recorded and writes nothing. The write
 * is the image updater's `updateImages` (byte-preserving rewrite, `tag@sha256:…`, optimistic commits, never a
 * downgrade), restricted to the stage's policies, with a message that lists the evidence.
 */
export async function runPromotions(deps: PromoterDeps): Promise<PromotionRun> {
  const read = await readPipelines(deps.repo);
  if (!read) return { kind: 'no-promotions', standings: [], promoted: [], said: [] };
  const stages = await evaluateStages(read, deps);
  const promoted: PromotionMade[] = [];
  const said: HoldSaid[] = [];
  for (const evaluation of stages) {
    await setGateStatuses(evaluation, deps);
    const ready = evaluation.standings.filter((s) => s.state === 'ready');
    if (ready.length > 0) promoted.push(...(await promoteStage(evaluation, ready, read.base, deps)));
    said.push(...(await sayHolds(evaluation, deps)));
  }
  const standings = stages.flatMap((e) =>
    e.standings.map((s) => {
      const made = promoted.find((p) => p.pipeline === s.pipeline && p.stage === s.stage && p.policy === s.policy);
      return made ? { ...s, state: 'promoted' as const, heldBy: undefined, lastPromotion: recordOf(made, deps) } : s;
    }),
  );
  const next = nextCheckAt(standings);
  const wait = next ? next.getTime() - deps.now().getTime() : Number.POSITIVE_INFINITY;
  // Once per run at most: the run after the wait has no wait of its own (it asks for a wake-up instead).
  if (next && (deps.waitUpToMs ?? 0) > 0 && wait <= deps.waitUpToMs!) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    const again = await runPromotions({ ...deps, waitUpToMs: 0 });
    return { ...again, promoted: [...promoted, ...again.promoted], said: [...said, ...again.said] };
  }
  if (next && deps.wake) await deps.wake(next);
  return { kind: 'evaluated', standings, promoted, said, ...(next ? { nextCheckAt: next } : {}) };
}

async function promoteStage(
  evaluation: StageEvaluation,
  ready: CandidateStanding[],
  base: HeadFiles,
  deps: PromoterDeps,
): Promise<PromotionMade[]> {
  const { pipeline, stage } = evaluation;
  const now = deps.now().getTime();
  // Claim first: of two runs woken by duplicate events, one writes and the other stops here.
  const claimed = await updateStage(deps.items, pipeline, stage.name, (record) => {
    const mine: CandidateStanding[] = [];
    const inFlight = { ...record.inFlight };
    for (const s of ready) {
      const digest = s.candidate!.digest;
      if (record.promoted[s.policy]?.digest === digest) continue;
      const held = inFlight[s.policy];
      if (held && held.until > now) continue;
      inFlight[s.policy] = { digest, until: now + claimMs };
      mine.push(s);
    }
    return { record: { ...record, inFlight }, result: mine };
  });
  if (claimed.length === 0) return [];
  const results = new Map<string, { made?: PromotionMade; refused?: string }>();
  try {
    const untagged = claimed.filter((s) => !s.candidate!.tag);
    for (const s of untagged) {
      results.set(s.policy, {
        refused: `${s.from} runs ${s.candidate!.digest} without a tag; a promotion writes tag@digest. Reference it by tag and digest in ${s.from}`,
      });
    }
    const writable = claimed.filter((s) => s.candidate!.tag);
    if (writable.length > 0) {
      const policies = writable.map((s) =>
        asPromotion(evaluation.policies.find((p) => p.name === s.policy)!, stage.approval),
      );
      const pushes: ImagePush[] = writable.map((s) => ({
        repository: s.repository,
        tag: s.candidate!.tag!,
        digest: s.candidate!.digest,
      }));
      const result = await updateImages(
        pushes,
        {
          repo: deps.repo,
          clusters: deps.clusters,
          syncQueues: deps.syncQueues,
          imagesOf: deps.imagesOf,
          log: deps.log,
          now: deps.now,
          describe: promotionDescriber(new Map(writable.map((s) => [s.policy, s]))),
        },
        { base, policies },
      );
      for (const s of writable) {
        const write = result.writes.find((w) => w.kind !== 'unchanged' && w.changes.some((c) => c.policy === s.policy));
        if (write && write.kind !== 'unchanged') {
          const pullRequest =
            write.kind === 'pull-request' && write.pullRequest.kind !== 'unsupported'
              ? { number: write.pullRequest.number, url: write.pullRequest.url }
              : undefined;
          results.set(s.policy, {
            made: {
              pipeline,
              stage: stage.name,
              policy: s.policy,
              digest: s.candidate!.digest,
              ...(s.candidate!.tag ? { tag: s.candidate!.tag } : {}),
              sha: write.sha,
              ...(pullRequest ? { pullRequest } : {}),
            },
          });
          continue;
        }
        const skip = result.writes.flatMap((w) => w.skipped).find((k) => k.policy === s.policy);
        const policy = evaluation.policies.find((p) => p.name === s.policy)!;
        // A run that died after its commit and before its record: the stage already holds the digest.
        if (await stageHolds(deps.repo, policy, s.candidate!.digest)) {
          results.set(s.policy, {
            made: { pipeline, stage: stage.name, policy: s.policy, digest: s.candidate!.digest, sha: base.head },
          });
          continue;
        }
        results.set(s.policy, { refused: `not written: ${skip?.reason ?? 'the planner found nothing to move'}` });
      }
    }
  } finally {
    await updateStage(deps.items, pipeline, stage.name, (record) => {
      const inFlight = { ...record.inFlight };
      const promotedNow = { ...record.promoted };
      const refused = { ...record.refused };
      for (const s of claimed) {
        delete inFlight[s.policy];
        const r = results.get(s.policy);
        if (r?.made) promotedNow[s.policy] = recordOf(r.made, deps);
        if (r?.refused) refused[s.policy] = { digest: s.candidate!.digest, reason: r.refused };
      }
      return { record: { ...record, inFlight, promoted: promotedNow, refused }, result: undefined };
    });
  }
  for (const s of claimed) {
    const r = results.get(s.policy);
    if (r?.made) deps.log?.('promoted', { ...r.made });
    if (r?.refused) {
      const i = evaluation.standings.indexOf(s);
      evaluation.standings[i] = { ...s, state: 'blocked', heldBy: { gate: 'write', reason: r.refused } };
    }
  }
  return claimed.flatMap((s) => (results.get(s.policy)?.made ? [results.get(s.policy)!.made!] : []));
}

/**
 * The stage's policy as the promotion writes it: pinned by digest, and by pull request when the stage asks for
 * approval (a person merges), else straight onto the branch the policy names.
 */
function asPromotion(policy: ImagePolicy, approval: 'direct' | 'pull-request'): ImagePolicy {
  const wb = policy.writeBack;
  const branch = wb.kind === 'push' ? wb.branch : wb.base;
  const writeBack: WriteBack =
    approval === 'pull-request'
      ? {
          kind: 'pull-request',
          ...(branch ? { base: branch } : {}),
          branchPrefix: wb.kind === 'pull-request' ? wb.branchPrefix : 'tidemark/promote-',
        }
      : { kind: 'push', ...(branch ? { branch } : {}) };
  return { ...policy, digest: 'pin', writeBack };
}

async function stageHolds(repo: ConfigRepo, policy: ImagePolicy, digest: string): Promise<boolean> {
  const wb = policy.writeBack;
  const files = await repo.read(policy.paths, wb.kind === 'push' ? wb.branch : wb.base);
  return [...(files?.files.values() ?? [])].some((text) => text.includes(`@${digest}`));
}

function recordOf(made: PromotionMade, deps: PromoterDeps): PromotionRecord {
  return {
    digest: made.digest,
    ...(made.tag ? { tag: made.tag } : {}),
    at: deps.now().toISOString(),
    sha: made.sha,
    ...(made.pullRequest ? { pullRequest: made.pullRequest } : {}),
  };
}

/** Each new hold (a candidate, the gate holding it, and whether it waits or is blocked) is said once. */
async function sayHolds(evaluation: StageEvaluation, deps: PromoterDeps): Promise<HoldSaid[]> {
  const holds = evaluation.standings.filter(
    (s) => s.heldBy && (s.state === 'waiting' || s.state === 'blocked' || s.state === 'no-candidate'),
  );
  const keyOf = (s: CandidateStanding) => `${s.candidate?.digest ?? '-'}|${s.heldBy!.gate}|${s.state}`;
  const fresh = holds.filter((s) => evaluation.record.said[s.policy] !== keyOf(s));
  if (fresh.length === 0) return [];
  const newly = await updateStage(deps.items, evaluation.pipeline, evaluation.stage.name, (record) => {
    const said = { ...record.said };
    const out = fresh.filter((s) => said[s.policy] !== keyOf(s));
    for (const s of out) said[s.policy] = keyOf(s);
    return { record: { ...record, said }, result: out };
  });
  const said = newly.map((s) => {
    const hold: HoldSaid = {
      pipeline: s.pipeline,
      stage: s.stage,
      policy: s.policy,
      ...(s.candidate ? { digest: s.candidate.digest } : {}),
      gate: s.heldBy!.gate,
      state: s.state,
      reason: s.heldBy!.reason,
    };
    deps.log?.(
      `${s.policy} → ${s.stage}: ${s.state === 'blocked' ? 'blocked' : 'held'} by gate ${hold.gate} because ${hold.reason}`,
      { ...hold },
    );
    return hold;
  });
  for (const hold of said.filter((h) => h.state === 'blocked')) {
    await deps
      .announce?.(hold)
      .catch((e: Error) => deps.log?.('could not announce a blocked promotion', { ...hold, error: e.message }));
  }
  return said;
}

const statusState = (state: string): GateStatusState =>
  state === 'passed' ? 'success' : state === 'blocked' ? 'failure' : 'pending';

/** A commit status per gate on the upstream revision, set when a gate's state changed since the last one set. */
async function setGateStatuses(evaluation: StageEvaluation, deps: PromoterDeps): Promise<void> {
  const github = deps.gateStatuses;
  if (!github) return;
  for (const s of evaluation.standings) {
    const revision = s.candidate?.revision;
    if (!revision) continue;
    const last = evaluation.record.statuses[s.policy];
    const sent = last?.digest === s.candidate!.digest ? last.gates : {};
    const changed = s.gates.filter((g) => sent[g.gate] !== statusState(g.state));
    if (changed.length === 0) continue;
    for (const g of changed) await github.set(revision, s.stage, g.gate, statusState(g.state), g.reason);
    await updateStage(deps.items, evaluation.pipeline, evaluation.stage.name, (record) => {
      const prior = record.statuses[s.policy]?.digest === s.candidate!.digest ? record.statuses[s.policy]!.gates : {};
      const gates = { ...prior, ...Object.fromEntries(changed.map((g) => [g.gate, statusState(g.state)])) };
      return {
        record: { ...record, statuses: { ...record.statuses, [s.policy]: { digest: s.candidate!.digest, gates } } },
        result: undefined,
      };
    });
  }
}
