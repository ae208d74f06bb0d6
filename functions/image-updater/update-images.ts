import type {
  ConfigRepo,
  FileEdit,
  HeadFiles,
  PullRequestOutcome,
  UnreadFile,
} from '../../adapters/config-repo/config-repo';
import type { SyncRequest } from '../../adapters/sync-queue/sync-request';
import { IMAGE_POLICY_FILE, type ImagePolicy, parseImagePolicies } from '../../core/images/image-policy';
import {
  type ImageChange,
  type ImagePush,
  type ImageSkip,
  type ImageUpdatePlan,
  type PlanContext,
  type PolicyUpdate,
  planImageUpdate,
  type WriteGroup,
  type WriteTarget,
  writeTargets,
} from '../../core/images/plan-image-update';
import { PROMOTIONS_FILE, parsePromotions, promotedPolicies } from '../../core/promotion/promotion-file';
import { commitMessage, pullRequestText } from './commit-message';

export interface UpdateImagesDeps {
  repo: ConfigRepo;
  /** The clusters of the deployment config: a commit under a cluster's path is announced on its sync queue. */
  clusters?: readonly { name: string; path: string }[];
  syncQueues?: ReadonlyMap<string, { send(request: SyncRequest): Promise<unknown> }>;
  /** All tagged images of a repository with push times (ECR `DescribeImages`), for `latest-pushed` policies. */
  imagesOf?: (repository: string) => Promise<ImagePush[]>;
  log?: (message: string, details: Record<string, unknown>) => void;
  /** Tries per branch before giving up (default 5). */
  maxAttempts?: number;
  /** First backoff after a moved branch, doubled per try with jitter (default 100 ms). */
  backoffMs?: number;
  now?: () => Date;
  /**
   * The commit message and pull-request text of a write. Default: the image updater's (`commit-message.ts`); the
   * promoter passes its own, listing the evidence of the promotion.
   */
  describe?: {
    commitMessage(updates: readonly PolicyUpdate[]): string;
    pullRequestText(updates: readonly PolicyUpdate[]): { title: string; body: string };
  };
}

/** What happened on one write target: a branch written directly, or one policy's pull request. */
export type WriteOutcome =
  | {
      kind: 'committed';
      branch: string;
      sha: string;
      changes: ImageChange[];
      /** Policies of this target that moved nothing, and why. */
      skipped: ImageSkip[];
      attempts: number;
    }
  | {
      kind: 'pull-request';
      branch: string;
      base: string;
      sha: string;
      pullRequest: PullRequestOutcome;
      changes: ImageChange[];
      skipped: ImageSkip[];
      attempts: number;
    }
  | { kind: 'unchanged'; target: string; skipped: ImageSkip[] };

export interface UpdateImagesResult {
  /** `ignored`: no policy names the pushed repositories (or the repo has no policy file). */
  kind: 'ignored' | 'updated' | 'unchanged';
  matchedPolicies: string[];
  writes: WriteOutcome[];
  /** Clusters told about a new commit through their sync queues. */
  synced: string[];
  /** Files under the policies' paths that were not read (symbolic links, files that are not UTF-8), and why. */
  unread?: UnreadFile[];
}

/** The branch kept moving under us for every try; the message fails so SQS redelivers it (or dead-letters it). */
export class UpdateGaveUp extends Error {
  constructor(
    readonly branch: string,
    attempts: number,
  ) {
    super(
      `branch ${branch} moved during each of ${attempts} update attempts. The event will be retried; if this repeats, look for an automation that pushes to ${branch} continuously`,
    );
    this.name = 'UpdateGaveUp';
  }
}

/** The image policies of the config repo, and the head of its branch they were read at. */
export interface PolicyRead {
  base: HeadFiles;
  policies: ImagePolicy[];
}

/**
 * Reads and validates `.tidemark/images.yaml` at the head of the config repo's branch, or returns `undefined` when the
 * repo has no policy file. An invalid file throws an `ImagePolicyError`, naming the file, the line and the key.
 *
 * The policies a stage of `.tidemark/promotions.yaml` promotes are left out: their manifests move only when the
 * promoter has the evidence (a push alone must never reach prod). An invalid promotions file therefore fails the read
 * too (a `PromotionFileError`), rather than letting those policies follow pushes.
 */
export async function readImagePolicies(repo: ConfigRepo): Promise<PolicyRead | undefined> {
  const base = await repo.read([IMAGE_POLICY_FILE, PROMOTIONS_FILE]);
  if (!base) {
    throw new Error(`branch ${repo.defaultBranch} of ${repo.url} does not exist. Set configRepo.branch to its branch`);
  }
  const text = base.files.get(IMAGE_POLICY_FILE);
  if (text === undefined) return undefined;
  const policies = parseImagePolicies(text);
  const promotions = base.files.get(PROMOTIONS_FILE);
  if (promotions === undefined) return { base, policies };
  const promoted = promotedPolicies(parsePromotions(promotions, { policies: policies.map((p) => p.name) }));
  return { base, policies: policies.filter((p) => !promoted.has(p.name)) };
}

/**
 * Read → plan → commit for a set of pushes (one event, or a coalesced burst): reads the image policies and the files
 * they cover, plans with {@link planImageUpdate}, and writes each group back — a commit on the policy's branch, or a
 * commit on the policy's pull-request branch and an opened or updated pull request. Every commit is optimistic: when
 * the branch moved since the read, nothing is written, and the plan is recomputed on the new head.
 *
 * `read` is the policy file when the caller has read it already (the scheduled catch-up reads it to know which
 * repositories to describe): the update then starts from the head it was read at instead of reading it again.
 */
export async function updateImages(
  pushes: readonly ImagePush[],
  deps: UpdateImagesDeps,
  read?: PolicyRead,
): Promise<UpdateImagesResult> {
  const { repo } = deps;
  const policyRead = read ?? (await readImagePolicies(repo));
  if (!policyRead) return { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
  const { base, policies } = policyRead;
  const relevant = policies.filter((p) => pushes.some((push) => sameName(push.repository, p.repository)));
  if (relevant.length === 0) return { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
  const context = await planContext(relevant, pushes, deps);

  // Each target is read at its own branch (a pull-request branch may be ahead of its base), so the plan is made per
  // target; the planner decides which policies share one.
  const writes: WriteOutcome[] = [];
  for (const { target, policies: group } of writeTargets(relevant, repo.defaultBranch)) {
    writes.push(
      target.kind === 'push'
        ? await pushToBranch(pushes, group, target.branch, base, context, deps)
        : await proposeChange(pushes, group, target, base, context, deps),
    );
  }
  const synced = await announce(writes, deps);
  const changed = writes.some((w) => w.kind !== 'unchanged');
  const { unread } = context;
  return {
    kind: changed ? 'updated' : 'unchanged',
    matchedPolicies: relevant.map((p) => p.name),
    writes,
    synced,
    ...(unread.length > 0 ? { unread } : {}),
  };
}

async function pushToBranch(
  pushes: readonly ImagePush[],
  policies: ImagePolicy[],
  branch: string,
  base: HeadFiles,
  context: UpdateContext,
  deps: UpdateImagesDeps,
): Promise<WriteOutcome> {
  const paths = policies.flatMap((p) => p.paths);
  return withRetries(branch, deps, async (attempt) => {
    const files = await readAt(deps.repo, paths, branch, attempt === 1 ? baseHead(base, branch) : undefined);
    context.noteUnread(files);
    const plan = await planWithRegistry(pushes, policies, files, context);
    const group = soleGroup(plan.groups, branch);
    if (!group) return { kind: 'unchanged', target: branch, skipped: plan.skipped };
    const outcome = await deps.repo.commit(editsOf(group), files, describe(deps).commitMessage(group.updates), branch);
    if (outcome.kind === 'head-moved') return undefined;
    return {
      kind: 'committed',
      branch,
      sha: outcome.sha,
      changes: changesOf(group),
      skipped: plan.skipped,
      attempts: attempt,
    };
  });
}

async function proposeChange(
  pushes: readonly ImagePush[],
  policies: ImagePolicy[],
  target: Extract<WriteTarget, { kind: 'pull-request' }>,
  base: HeadFiles,
  context: UpdateContext,
  deps: UpdateImagesDeps,
): Promise<WriteOutcome> {
  // One branch per policy: a newer eligible push lands on the same branch and updates the same pull request.
  const { branch, base: baseBranch } = target;
  const paths = policies.flatMap((p) => p.paths);
  return withRetries(branch, deps, async (attempt) => {
    const onBase = await readAt(deps.repo, paths, baseBranch, attempt === 1 ? baseHead(base, baseBranch) : undefined);
    context.noteUnread(onBase);
    const basePlan = await planWithRegistry(pushes, policies, onBase, context);
    if (!soleGroup(basePlan.groups, branch)) return { kind: 'unchanged', target: branch, skipped: basePlan.skipped };
    // The pull-request branch may already hold this version or a newer one: never downgrade it either.
    const onBranch = await deps.repo.read(paths, branch);
    if (onBranch) context.noteUnread(onBranch);
    const plan = onBranch ? await planWithRegistry(pushes, policies, onBranch, context) : basePlan;
    const group = soleGroup(plan.groups, branch);
    if (!group) return { kind: 'unchanged', target: branch, skipped: plan.skipped };
    const outcome = await deps.repo.commit(
      editsOf(group),
      onBranch ?? onBase,
      describe(deps).commitMessage(group.updates),
      branch,
    );
    if (outcome.kind === 'head-moved') return undefined;
    const pullRequest = await deps.repo.pullRequest({
      branch,
      base: baseBranch,
      ...describe(deps).pullRequestText(group.updates),
    });
    return {
      kind: 'pull-request',
      branch,
      base: baseBranch,
      sha: outcome.sha,
      pullRequest,
      changes: changesOf(group),
      skipped: plan.skipped,
      attempts: attempt,
    };
  });
}

/**
 * The one group of a plan made for the policies of one write target. The planner groups by the same
 * {@link writeTargets}, so a second group would be a change with nowhere to go: fail loudly rather than drop it.
 */
function soleGroup(groups: readonly WriteGroup[], branch: string): WriteGroup | undefined {
  if (groups.length > 1 || groups.some((g) => g.target.branch !== branch)) {
    const where = groups.map((g) => g.target.branch).join(', ');
    throw new Error(`the plan for ${branch} wrote to ${where}; this is a bug in Tidemark's planner. Report it`);
  }
  return groups[0];
}

// Another writer (a person, CI, a second Tidemark) can move the branch between our read and our push. We never
// force-push: we recompute on the new head, so their commit survives and ours is rebuilt from what they left. Five
// tries with doubling backoff ride out a burst of pushes; past that the message fails and SQS retries it later.
async function withRetries(
  branch: string,
  deps: UpdateImagesDeps,
  attempt: (n: number) => Promise<WriteOutcome | undefined>,
): Promise<WriteOutcome> {
  const max = deps.maxAttempts ?? 5;
  for (let n = 1; n <= max; n++) {
    const outcome = await attempt(n);
    if (outcome) return outcome;
    deps.log?.('branch moved during the update; recomputing on the new head', { branch, attempt: n });
    if (n < max) await sleep((deps.backoffMs ?? 100) * 2 ** (n - 1) * (0.5 + Math.random()));
  }
  throw new UpdateGaveUp(branch, max);
}

async function readAt(repo: ConfigRepo, paths: string[], branch: string, at: string | undefined): Promise<HeadFiles> {
  const files = await repo.read(paths, branch, at);
  if (!files)
    throw new Error(`branch ${branch} of ${repo.url} does not exist. Create it, or name another in the policy`);
  return files;
}

function baseHead(base: HeadFiles, branch: string): string | undefined {
  return base.branch === branch ? base.head : undefined;
}

function describe(deps: UpdateImagesDeps): NonNullable<UpdateImagesDeps['describe']> {
  return deps.describe ?? { commitMessage, pullRequestText };
}

function editsOf(group: WriteGroup): FileEdit[] {
  return [...group.files].map(([path, content]) => ({ path, content }));
}

function changesOf(group: WriteGroup): ImageChange[] {
  return group.updates.flatMap((u) => u.changes);
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The planner's context, plus what an update learns on the way: the registry's answers and the files not read. */
interface UpdateContext extends PlanContext {
  /** Asks the registry about repositories not asked yet; true when it learned something to plan again with. */
  askRegistry(repositories: readonly string[]): Promise<boolean>;
  noteUnread(files: HeadFiles): void;
  readonly unread: UnreadFile[];
}

/**
 * Plans, and when a digest would move on the push's word alone (no tag of its policy moves up beside it, so Git cannot
 * date it), asks ECR whether the push is still the newest image and plans again with the answer: a late event for a
 * re-pushed tag, or for an older tag of a policy that only pins digests, then moves nothing.
 */
async function planWithRegistry(
  pushes: readonly ImagePush[],
  policies: ImagePolicy[],
  files: HeadFiles,
  context: UpdateContext,
): Promise<ImageUpdatePlan> {
  const plan = planImageUpdate(pushes, policies, files.files, context);
  if (!plan.unconfirmed || !(await context.askRegistry(plan.unconfirmed))) return plan;
  return planImageUpdate(pushes, policies, files.files, context);
}

/**
 * Push times of the tags Git may hold, for `latest-pushed` policies (which order by push time, not by name), asked of
 * the registry up front; the registry's images of other repositories are asked only when a plan needs them.
 */
async function planContext(
  policies: readonly ImagePolicy[],
  pushes: readonly ImagePush[],
  deps: UpdateImagesDeps,
): Promise<UpdateContext> {
  const times = new Map<string, Date>();
  const registry = new Map<string, ImagePush[] | undefined>(); // undefined: asked, and the registry could not answer
  const key = (repository: string, tag: string) => `${repository.toLowerCase()}:${tag}`;
  const ask = async (repository: string, required = false): Promise<boolean> => {
    const id = repository.toLowerCase();
    if (!deps.imagesOf || registry.has(id)) return false;
    try {
      const images = await deps.imagesOf(repository);
      registry.set(id, images);
      for (const image of images) if (image.pushedAt) times.set(key(repository, image.tag), image.pushedAt);
      return true;
    } catch (e) {
      // Without push times a latest-pushed policy cannot order what Git holds: fail, and the event is retried.
      if (required) throw e;
      // The commit is still made from the push; what the registry would have confirmed is the event's word.
      registry.set(id, undefined);
      deps.log?.('could not list the images of a repository; its digests move on the event alone', {
        repository,
        error: (e as Error).message,
      });
      return false;
    }
  };
  for (const p of policies) if (p.strategy.kind === 'latest-pushed') await ask(p.repository, true);
  for (const push of pushes) if (push.pushedAt) times.set(key(push.repository, push.tag), push.pushedAt);
  const unread = new Map<string, UnreadFile>();
  return {
    defaultBranch: deps.repo.defaultBranch,
    pushedAt: (repository, tag) => times.get(key(repository, tag)),
    imagesOf: (repository) => registry.get(repository.toLowerCase()),
    askRegistry: async (repositories) => {
      let learned = false;
      for (const r of repositories) learned = (await ask(r)) || learned;
      return learned;
    },
    noteUnread: (files) => {
      for (const file of files.unread ?? []) {
        if (unread.has(file.path)) continue;
        unread.set(file.path, file);
        deps.log?.('a file under a policy path was not read', { file: file.path, reason: file.reason });
      }
    },
    get unread() {
      return [...unread.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
    },
  };
}

/** Tells the clusters whose folders a direct commit touched to sync now, instead of at their next poll. */
async function announce(writes: readonly WriteOutcome[], deps: UpdateImagesDeps): Promise<string[]> {
  const synced: string[] = [];
  const clusters = deps.clusters ?? [];
  for (const write of writes) {
    if (write.kind !== 'committed' || write.branch !== deps.repo.defaultBranch) continue;
    const files = write.changes.map((c) => c.file);
    const under = (path: string) => files.filter((f) => f === path || f.startsWith(`${path}/`));
    // A file outside every cluster's folder (a shared base) may be used by any of them: announce to all.
    const shared = files.some((f) => !clusters.some((c) => under(c.path).includes(f)));
    for (const cluster of clusters) {
      if (!shared && under(cluster.path).length === 0) continue;
      const queue = deps.syncQueues?.get(cluster.name);
      if (!queue) continue;
      try {
        await queue.send({
          repo: deps.repo.url,
          branch: write.branch,
          revision: write.sha,
          pushedAt: (deps.now?.() ?? new Date()).toISOString(),
          deliveryId: `image-updater:${write.sha}`,
        });
        synced.push(cluster.name);
      } catch (e) {
        // The commit stands and the agent still finds it at its next poll; failing the event would not resend this.
        deps.log?.('could not send the sync request', { cluster: cluster.name, error: (e as Error).message });
      }
    }
  }
  return synced;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
