import type { ConfigRepo, HeadFiles } from '../../adapters/config-repo/config-repo';
import { newBranch } from '../../adapters/config-repo/config-repo';
import type { SyncRequest } from '../../adapters/sync-queue/sync-request';
import {
  type DryCommit,
  hydratorMetadata,
  hydratorReadme,
  parseHydratorMetadata,
  renderedGitAttributes,
} from '../../core/hydrate/hydrator-metadata';
import { joinRepoPath, planRenderCommit } from '../../core/hydrate/plan-render-commit';
import {
  RENDER_TARGET_TRAILER,
  type RenderChanges,
  renderCommitMessage,
  SOURCE_COMMIT_TRAILER,
} from '../../core/hydrate/render-commit-message';
import { type RenderFailure, renderFailureOf } from '../../core/hydrate/render-failure';
import { type RenderTarget, rendersInLambda } from '../../core/hydrate/render-targets';
import { METADATA_FILE, README_FILE } from '../../core/hydrate/rendered-files';
import { defaultConcurrency, inParallel } from '../concurrency';
import { type RenderedTarget, type RenderPlace, rendererVersions, renderTarget } from './render-target';
import { inputDigest, targetInputs } from './target-inputs';

/** A checkout of a dry commit: the folder its files are in, and what git says of the commit. */
export interface DryCheckout {
  dir: string;
  dry: DryCommit;
}

export interface HydrateDeps {
  /** Where rendered commits go (the config repo's provider), with optimistic concurrency. */
  repo: Pick<ConfigRepo, 'read' | 'commit'>;
  /** The config repo's clone URL, for `hydrator.metadata`. */
  repoUrl: string;
  /** The branch `.tidemark/render.yaml` was read from: a target without `destination.branch` writes here. */
  dryBranch: string;
  place: RenderPlace;
  /** Clusters that apply a rendered folder get a sync request after its commit. */
  clusters?: readonly { name: string; path: string; branch?: string }[];
  syncQueues?: ReadonlyMap<string, { send(request: SyncRequest): Promise<unknown> }>;
  /**
   * The input digest each target's destination is known to hold the render of (committed, or found unchanged), kept
   * across calls (a Lambda container's life): a push that changes none of a target's inputs then costs neither a render
   * nor a read of its destination. A cold container reads the digest from `hydrator.metadata` instead.
   */
  unchangedRenders?: Map<string, string>;
  chartCache?: string;
  log?: (message: string, details: Record<string, unknown>) => void;
  /** Tries per target before giving up on a destination that keeps moving (default 5). */
  maxAttempts?: number;
  /** First backoff after a moved branch, doubled per try with jitter (default 100 ms). */
  backoffMs?: number;
  now?: () => Date;
}

/** What became of one target for one dry commit. */
export type TargetOutcome =
  | {
      kind: 'committed';
      target: string;
      branch: string;
      sha: string;
      changes: RenderChanges;
      attempts: number;
      synced: string[];
      warnings: string[];
    }
  | { kind: 'unchanged'; target: string; branch: string; reason: 'inputs-unchanged' | 'same-bytes' }
  /** A target that left `.tidemark/render.yaml`: its folder was deleted from the destination branch. */
  | { kind: 'removed'; target: string; branch: string; sha: string; deleted: number }
  /** Rendered in CI by `tidemark render` (CDK8s, commands): the Lambda does not run program generators. */
  | { kind: 'skipped'; target: string; reason: string }
  /** Nothing was committed for this target: the last good rendered commit stays where it is. */
  | { kind: 'failed'; target: string; failure: RenderFailure };

/** The branch kept moving under us for every try; the caller fails the message so SQS redelivers it. */
export class HydrateGaveUp extends Error {
  constructor(
    readonly branch: string,
    attempts: number,
  ) {
    super(
      `branch ${branch} moved during each of ${attempts} attempts to commit a render. The push will be retried; if this repeats, look for an automation that pushes to ${branch} continuously (rendered branches should be written by Tidemark alone: protect them)`,
    );
    this.name = 'HydrateGaveUp';
  }
}

/**
 * Renders every target of a dry commit whose inputs changed and commits each result on its own: one commit per dry
 * commit and target, only when the rendered bytes differ from what the destination holds, with the files the render
 * no longer produces deleted, trailers naming the dry commit, and Argo-compatible `hydrator.metadata`. Commits are
 * optimistic (never a force-push): when the destination moved since the read, the edit is recomputed on the new head
 * from the same render. A target that fails to render commits nothing, so its last good rendered commit stays; the
 * other targets go on.
 *
 * @example
 * const outcomes = await hydrate({ dir: checkout.dir, dry }, targets, { repo, repoUrl, dryBranch: 'main', place: 'lambda' });
 */
export async function hydrate(
  checkout: DryCheckout,
  targets: readonly RenderTarget[],
  given: HydrateDeps,
): Promise<TargetOutcome[]> {
  // Renders run side by side (kustomize and Helm are processes of their own); the commits of one destination branch
  // go one after another, since each moves that branch (and its root hydrator.metadata), while branches commit side by
  // side. Outcomes keep the order of the targets.
  // One git mirror serves every read and commit, and two git fetches in one repository fail on its lock files: the
  // repository work goes one call at a time, the renders (the slow part) side by side.
  const deps = { ...given, repo: oneAtATime(given.repo) };
  const results = new Map<RenderTarget, TargetOutcome>();
  const prepared = new Map<RenderTarget, PromiseWithResolvers<Prepared>>();
  const eligible = targets.filter((target) => {
    if (deps.place === 'lambda' && !rendersInLambda(target.source)) {
      const reason = `a ${target.source.kind} target renders in CI (tidemark render)`;
      results.set(target, { kind: 'skipped', target: target.name, reason });
      return false;
    }
    const deferred = Promise.withResolvers<Prepared>();
    // Handled where the commit phase awaits it; this only keeps a render failure after a give-up from being unhandled.
    deferred.promise.catch(() => undefined);
    prepared.set(target, deferred);
    return true;
  });
  const renders = inParallel(eligible, defaultConcurrency.renders, async (target) => {
    const { resolve, reject } = prepared.get(target) as PromiseWithResolvers<Prepared>;
    await prepareTarget(checkout, target, deps).then(resolve, reject);
  });
  const byBranch = new Map<string, RenderTarget[]>();
  for (const target of eligible) {
    const branch = target.destination.branch ?? deps.dryBranch;
    byBranch.set(branch, [...(byBranch.get(branch) ?? []), target]);
  }
  const commits = inParallel([...byBranch.values()], byBranch.size, async (branchTargets) => {
    for (const [index, target] of branchTargets.entries()) {
      try {
        const ready = await (prepared.get(target) as PromiseWithResolvers<Prepared>).promise;
        // The targets before this one moved the branch since it was read: read it again rather than fail a push.
        const fresh =
          index === 0 || ready.kind === 'done'
            ? ready
            : { ...ready, read: await readDestination(deps.repo, target, ready.branch) };
        results.set(target, await commitTarget(checkout, target, fresh, deps));
      } catch (error) {
        if (error instanceof HydrateGaveUp) throw error;
        results.set(target, { kind: 'failed', target: target.name, failure: renderFailureOf(error, checkout.dir) });
        deps.log?.('render failed; nothing committed for this target', {
          target: target.name,
          error: (error as Error).message,
        });
      }
    }
  });
  await Promise.all([renders, commits]);
  const outcomes = targets.map((target) => results.get(target)).filter((o): o is TargetOutcome => o !== undefined);
  outcomes.push(...(await removeRetired(checkout.dry, targets, deps)));
  return outcomes;
}

/**
 * Deletes the output of targets that left `.tidemark/render.yaml`: a folder of a destination branch whose
 * `hydrator.metadata` names a target that is no longer declared (and that no declared target writes). Only branches
 * the declared targets still write are looked at, and only folders Tidemark's own metadata marks, so nothing written
 * by hand is deleted; a rendered branch no target writes any more is left as it is (a Sync may still point at it).
 */
async function removeRetired(
  dry: DryCommit,
  targets: readonly RenderTarget[],
  deps: HydrateDeps,
): Promise<TargetOutcome[]> {
  const names = new Set(targets.map((t) => t.name));
  const branches = new Set(targets.map((t) => t.destination.branch ?? deps.dryBranch));
  const outcomes: TargetOutcome[] = [];
  for (const branch of branches) {
    for (let attempt = 1; ; attempt++) {
      const read = await deps.repo.read(['.'], branch);
      if (!read) break;
      const declared = targets
        .filter((t) => (t.destination.branch ?? deps.dryBranch) === branch)
        .map((t) => t.destination.path);
      const retired = new Map<string, string>();
      for (const [path, text] of read.files) {
        if (path !== METADATA_FILE && !path.endsWith(`/${METADATA_FILE}`)) continue;
        const target = parseHydratorMetadata(text)?.tidemark?.target;
        const folder = path === METADATA_FILE ? '.' : path.slice(0, -METADATA_FILE.length - 1);
        if (target === undefined || names.has(target)) continue;
        if (
          declared.some(
            (d) =>
              d === folder || d === '.' || folder === '.' || d.startsWith(`${folder}/`) || folder.startsWith(`${d}/`),
          )
        )
          continue;
        retired.set(folder, target);
      }
      if (retired.size === 0) break;
      const [folder, target] = [...retired][0]!;
      const prefix = folder === '.' ? '' : `${folder}/`;
      const edits = [...read.files.keys()].filter((p) => p.startsWith(prefix)).map((path) => ({ path, content: null }));
      const message = [
        `Remove the render of ${target}: it left .tidemark/render.yaml at ${dry.sha.slice(0, 7)}`,
        '',
        `Deleted ${edits.length} files under ${folder}.`,
        '',
        `${SOURCE_COMMIT_TRAILER}: ${dry.sha}`,
        `${RENDER_TARGET_TRAILER}: ${target}`,
        '',
      ].join('\n');
      const outcome = await deps.repo.commit(edits, read, message, branch);
      if (outcome.kind === 'committed') {
        outcomes.push({ kind: 'removed', target, branch, sha: outcome.sha, deleted: edits.length });
        attempt = 0;
        continue; // the next retired folder of this branch, read again at the new head
      }
      if (attempt >= (deps.maxAttempts ?? 5)) throw new HydrateGaveUp(branch, attempt);
      await sleep((deps.backoffMs ?? 100) * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
  return outcomes;
}

/** The config repo with its calls queued: each starts when the one before it has ended. */
function oneAtATime(repo: HydrateDeps['repo']): HydrateDeps['repo'] {
  let tail: Promise<unknown> = Promise.resolve();
  const queued = <T>(call: () => Promise<T>): Promise<T> => {
    const run = tail.then(call, call);
    tail = run.catch(() => undefined);
    return run;
  };
  return {
    read: (...args) => queued(() => repo.read(...args)),
    commit: (...args) => queued(() => repo.commit(...args)),
  };
}

/** A target ready to commit: its render and the destination as read before it, or why nothing is to be done. */
type Prepared =
  | { kind: 'done'; outcome: TargetOutcome }
  | {
      kind: 'rendered';
      rendered: RenderedTarget;
      branch: string;
      read: HeadFiles;
      digest: string | undefined;
      renderers: string[];
    };

/** Digests the target's inputs, skips it when its destination already holds their render, and renders it otherwise. */
async function prepareTarget(checkout: DryCheckout, target: RenderTarget, deps: HydrateDeps): Promise<Prepared> {
  const branch = target.destination.branch ?? deps.dryBranch;
  const renderers = await rendererVersions(target);
  const inputs = await targetInputs(checkout.dir, target);
  const digest = inputs ? await inputDigest(checkout.dir, target, inputs, renderers) : undefined;
  const unchanged = { kind: 'unchanged', target: target.name, branch, reason: 'inputs-unchanged' } as const;
  if (digest !== undefined && deps.unchangedRenders?.get(target.name) === digest) {
    return { kind: 'done', outcome: unchanged };
  }
  const read = await readDestination(deps.repo, target, branch);
  const recorded = parseHydratorMetadata(read.files.get(joinRepoPath(target.destination.path, METADATA_FILE)));
  if (digest !== undefined && recorded?.tidemark?.inputs === digest) {
    deps.unchangedRenders?.set(target.name, digest);
    return { kind: 'done', outcome: unchanged };
  }
  const rendered = await renderTarget(checkout.dir, target, deps.place, { chartCache: deps.chartCache });
  return { kind: 'rendered', rendered, branch, read, digest, renderers };
}

async function commitTarget(
  checkout: DryCheckout,
  target: RenderTarget,
  prepared: Prepared,
  deps: HydrateDeps,
): Promise<TargetOutcome> {
  if (prepared.kind === 'done') return prepared.outcome;
  const branch = target.destination.branch ?? deps.dryBranch;
  const folder = target.destination.path;
  const { rendered, digest, renderers } = prepared;
  let read = prepared.read;
  const bookkeeping = bookkeepingFiles(deps.repoUrl, checkout.dry, target, rendered, digest, renderers);
  const max = deps.maxAttempts ?? 5;
  for (let attempt = 1; attempt <= max; attempt++) {
    const plan = planRenderCommit(folder, read.files, rendered.files, bookkeeping);
    if (plan.kind === 'unchanged') {
      if (digest !== undefined) deps.unchangedRenders?.set(target.name, digest);
      return { kind: 'unchanged', target: target.name, branch, reason: 'same-bytes' };
    }
    const message = renderCommitMessage(target.name, checkout.dry, plan.changes);
    const outcome = await deps.repo.commit(plan.edits, read, message, branch);
    if (outcome.kind === 'committed') {
      if (digest !== undefined) deps.unchangedRenders?.set(target.name, digest);
      else deps.unchangedRenders?.delete(target.name);
      return {
        kind: 'committed',
        target: target.name,
        branch,
        sha: outcome.sha,
        changes: plan.changes,
        attempts: attempt,
        synced: await announce(branch, folder, outcome.sha, deps),
        warnings: rendered.warnings,
      };
    }
    // Another writer moved the destination between our read and our push (a person, CI, a second hydrator). We never
    // force-push: the edit is recomputed on the new head from the same render, so their commit survives, and a file
    // they changed by hand inside the rendered folder is put back to what the dry commit renders.
    deps.log?.('destination moved during the commit; recomputing on the new head', {
      target: target.name,
      branch,
      attempt,
    });
    if (attempt < max) await sleep((deps.backoffMs ?? 100) * 2 ** (attempt - 1) * (0.5 + Math.random()));
    read = await readDestination(deps.repo, target, branch);
  }
  throw new HydrateGaveUp(branch, max);
}

/** The destination folder at its branch head, with the root bookkeeping; an empty new branch when there is none. */
async function readDestination(
  repo: Pick<ConfigRepo, 'read'>,
  target: RenderTarget,
  branch: string,
): Promise<HeadFiles> {
  const paths =
    target.destination.branch === undefined
      ? [target.destination.path]
      : [target.destination.path, METADATA_FILE, '.gitattributes'];
  return (await repo.read(paths, branch)) ?? newBranch(branch);
}

function bookkeepingFiles(
  repoUrl: string,
  dry: DryCommit,
  target: RenderTarget,
  rendered: RenderedTarget,
  digest: string | undefined,
  renderers: string[],
): Map<string, string> {
  const folder = target.destination.path;
  const commands = [`tidemark render --target ${target.name}`, ...rendered.commands];
  const files = new Map<string, string>([
    [
      joinRepoPath(folder, METADATA_FILE),
      hydratorMetadata(repoUrl, dry, { commands, target: target.name, inputs: digest, renderers }),
    ],
    [joinRepoPath(folder, README_FILE), hydratorReadme(repoUrl, dry, commands)],
  ]);
  if (target.destination.branch !== undefined) {
    // A rendered branch's root says which dry commit it was last rendered from, as Argo CD's does (GitOps Promoter
    // reads `drySha` there), and folds the bookkeeping files away in GitHub's diffs.
    if (folder !== '.') files.set(METADATA_FILE, hydratorMetadata(repoUrl, dry));
    files.set('.gitattributes', renderedGitAttributes);
  }
  return files;
}

/** Tells the clusters that apply the rendered folder (their branch, their path around it or inside it) to sync now. */
async function announce(branch: string, folder: string, sha: string, deps: HydrateDeps): Promise<string[]> {
  const synced: string[] = [];
  const overlaps = (a: string, b: string) =>
    a === '.' || b === '.' || a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  for (const cluster of deps.clusters ?? []) {
    if ((cluster.branch ?? deps.dryBranch) !== branch || !overlaps(cluster.path, folder)) continue;
    const queue = deps.syncQueues?.get(cluster.name);
    if (!queue) continue;
    try {
      await queue.send({
        repo: deps.repoUrl,
        branch,
        revision: sha,
        pushedAt: (deps.now?.() ?? new Date()).toISOString(),
        deliveryId: `hydrator:${sha}`,
      });
      synced.push(cluster.name);
    } catch (e) {
      // The commit stands and the agent finds it at its next poll; failing the push would not resend this.
      deps.log?.('could not send the sync request', { cluster: cluster.name, error: (e as Error).message });
    }
  }
  return synced;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
