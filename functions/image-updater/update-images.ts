import type { ConfigRepo, FileEdit, HeadFiles, PullRequestOutcome } from '../../adapters/config-repo/config-repo';
import type { SyncRequest } from '../../adapters/sync-queue/sync-request';
import { IMAGE_POLICY_FILE, type ImagePolicy, parseImagePolicies } from '../../core/images/image-policy';
import {
  type ImageChange,
  type ImagePush,
  type ImageSkip,
  type PlanContext,
  planImageUpdate,
  type WriteGroup,
} from '../../core/images/plan-image-update';
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
}

/** What happened on one write target: a branch written directly, or one policy's pull request. */
export type WriteOutcome =
  | { kind: 'committed'; branch: string; sha: string; changes: ImageChange[]; attempts: number }
  | {
      kind: 'pull-request';
      branch: string;
      base: string;
      sha: string;
      pullRequest: PullRequestOutcome;
      changes: ImageChange[];
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

/**
 * Read → plan → commit for a set of pushes (one event, or a coalesced burst): reads the image policies and the files
 * they cover, plans with {@link planImageUpdate}, and writes each group back — a commit on the policy's branch, or a
 * commit on the policy's pull-request branch and an opened or updated pull request. Every commit is optimistic: when
 * the branch moved since the read, nothing is written, and the plan is recomputed on the new head.
 */
export async function updateImages(pushes: readonly ImagePush[], deps: UpdateImagesDeps): Promise<UpdateImagesResult> {
  const { repo } = deps;
  const base = await repo.read([IMAGE_POLICY_FILE]);
  if (!base) {
    throw new Error(`branch ${repo.defaultBranch} of ${repo.url} does not exist. Set configRepo.branch to its branch`);
  }
  const text = base.files.get(IMAGE_POLICY_FILE);
  if (text === undefined) return { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
  const policies = parseImagePolicies(text); // an invalid file throws ImagePolicyError, naming file, line and key
  const relevant = policies.filter((p) => pushes.some((push) => sameName(push.repository, p.repository)));
  if (relevant.length === 0) return { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
  const context = await planContext(relevant, pushes, deps);

  const targets = new Map<string, ImagePolicy[]>();
  for (const p of relevant) {
    const key = p.writeBack.kind === 'push' ? `push:${p.writeBack.branch ?? repo.defaultBranch}` : `pr:${p.name}`;
    targets.set(key, [...(targets.get(key) ?? []), p]);
  }
  const writes: WriteOutcome[] = [];
  for (const group of targets.values()) {
    const wb = group[0]!.writeBack;
    writes.push(
      wb.kind === 'push'
        ? await pushToBranch(pushes, group, wb.branch ?? repo.defaultBranch, base, context, deps)
        : await proposeChange(pushes, group[0]!, wb.base ?? repo.defaultBranch, wb.branchPrefix, base, context, deps),
    );
  }
  const synced = await announce(writes, deps);
  const changed = writes.some((w) => w.kind !== 'unchanged');
  return { kind: changed ? 'updated' : 'unchanged', matchedPolicies: relevant.map((p) => p.name), writes, synced };
}

async function pushToBranch(
  pushes: readonly ImagePush[],
  policies: ImagePolicy[],
  branch: string,
  base: HeadFiles,
  context: PlanContext,
  deps: UpdateImagesDeps,
): Promise<WriteOutcome> {
  const paths = policies.flatMap((p) => p.paths);
  return withRetries(branch, deps, async (attempt) => {
    const files = await readAt(
      deps.repo,
      paths,
      branch,
      attempt === 1 && branch === base.branch ? base.head : undefined,
    );
    const plan = planImageUpdate(pushes, policies, files.files, context);
    const group = plan.groups[0];
    if (!group) return { kind: 'unchanged', target: branch, skipped: plan.skipped };
    const outcome = await deps.repo.commit(editsOf(group), files, commitMessage(group.updates), branch);
    if (outcome.kind === 'head-moved') return undefined;
    return { kind: 'committed', branch, sha: outcome.sha, changes: changesOf(group), attempts: attempt };
  });
}

async function proposeChange(
  pushes: readonly ImagePush[],
  policy: ImagePolicy,
  baseBranch: string,
  branchPrefix: string,
  base: HeadFiles,
  context: PlanContext,
  deps: UpdateImagesDeps,
): Promise<WriteOutcome> {
  // One branch per policy: a newer eligible push lands on the same branch and updates the same pull request.
  const branch = `${branchPrefix}${policy.name}`;
  return withRetries(branch, deps, async (attempt) => {
    const onBase = await readAt(
      deps.repo,
      policy.paths,
      baseBranch,
      attempt === 1 ? baseHead(base, baseBranch) : undefined,
    );
    const basePlan = planImageUpdate(pushes, [policy], onBase.files, context);
    if (!basePlan.groups[0]) return { kind: 'unchanged', target: branch, skipped: basePlan.skipped };
    // The pull-request branch may already hold this version or a newer one: never downgrade it either.
    const onBranch = await deps.repo.read(policy.paths, branch);
    const plan = onBranch ? planImageUpdate(pushes, [policy], onBranch.files, context) : basePlan;
    const group = plan.groups[0];
    if (!group) return { kind: 'unchanged', target: branch, skipped: plan.skipped };
    const update = group.updates[0]!;
    const outcome = await deps.repo.commit(editsOf(group), onBranch ?? onBase, commitMessage(group.updates), branch);
    if (outcome.kind === 'head-moved') return undefined;
    const pullRequest = await deps.repo.pullRequest({ branch, base: baseBranch, ...pullRequestText(update) });
    return {
      kind: 'pull-request',
      branch,
      base: baseBranch,
      sha: outcome.sha,
      pullRequest,
      changes: changesOf(group),
      attempts: attempt,
    };
  });
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

function editsOf(group: WriteGroup): FileEdit[] {
  return [...group.files].map(([path, content]) => ({ path, content }));
}

function changesOf(group: WriteGroup): ImageChange[] {
  return group.updates.flatMap((u) => u.changes);
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Push times of the tags Git may hold, for `latest-pushed` policies (which order by push time, not by name). */
async function planContext(
  policies: readonly ImagePolicy[],
  pushes: readonly ImagePush[],
  deps: UpdateImagesDeps,
): Promise<PlanContext> {
  const times = new Map<string, Date>();
  const key = (repository: string, tag: string) => `${repository.toLowerCase()}:${tag}`;
  const repositories = new Set(policies.filter((p) => p.strategy.kind === 'latest-pushed').map((p) => p.repository));
  for (const repository of repositories) {
    for (const image of (await deps.imagesOf?.(repository)) ?? []) {
      if (image.pushedAt) times.set(key(repository, image.tag), image.pushedAt);
    }
  }
  for (const push of pushes) if (push.pushedAt) times.set(key(push.repository, push.tag), push.pushedAt);
  return { pushedAt: (repository, tag) => times.get(key(repository, tag)) };
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
