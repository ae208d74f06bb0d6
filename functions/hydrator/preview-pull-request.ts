import type { Checkout } from '../../adapters/git/checkout-cache';
import type { CommentOutcome, GitHubPreview } from '../../adapters/github/pull-request-preview';
import type { HydratePreview } from '../../core/hydrate/hydrate-request';
import {
  PREVIEW_MARKER,
  PREVIEW_STATUS_CONTEXT,
  previewComment,
  previewStatus,
} from '../../core/hydrate/preview-comment';
import { renderFailureOf } from '../../core/hydrate/render-failure';
import { loadRenderTargets } from '../../engine/hydrate/load-render-targets';
import { type PreviewDeps, type PreviewSide, previewChanges } from '../../engine/hydrate/preview';

export interface PreviewPullRequestDeps extends Omit<PreviewDeps, 'place'> {
  /** The tip of a branch of the config repo, checked out. */
  checkout(branch: string): Promise<Pick<Checkout, 'dir' | 'revision'>>;
  github: Pick<GitHubPreview, 'upsertComment' | 'setStatus'>;
}

export type PreviewOutcome =
  | { kind: 'previewed'; headSha: string; state: 'success' | 'failure'; description: string; comment: CommentOutcome }
  | { kind: 'not-previewed'; reason: string; comment: CommentOutcome };

/**
 * A pull request was opened, reopened or pushed to: render its base and its head, and tell it in one comment (edited
 * in place on every push) and the commit status `tidemark/preview` on the head: per target the rendered diff, per
 * cluster what would change live. The status fails when a target does not render, a cluster's prune would exceed
 * its maxPrunePercent, or the API server would refuse a manifest, and says which.
 */
export async function previewPullRequest(
  request: HydratePreview,
  deps: PreviewPullRequestDeps,
): Promise<PreviewOutcome> {
  if (request.head.fork) {
    // A fork's branch is not in this repository, and rendering a stranger's program generators is not ours to do.
    const reason = 'the head branch is in a fork; only pull requests from branches of this repository are previewed';
    const comment = await deps.github.upsertComment(
      request.number,
      PREVIEW_MARKER,
      `${PREVIEW_MARKER}\n## Tidemark preview\n\nNot previewed: ${reason}.\n`,
    );
    await deps.github.setStatus(
      request.head.sha,
      PREVIEW_STATUS_CONTEXT,
      'success',
      'Not previewed: the head is in a fork',
    );
    return { kind: 'not-previewed', reason, comment };
  }
  await deps.github.setStatus(request.head.sha, PREVIEW_STATUS_CONTEXT, 'pending', 'Rendering base and head');
  const [base, head] = await Promise.all([side(request.base.branch, deps), side(request.head.branch, deps)]);
  if ('failure' in head) {
    const description = `.tidemark/render.yaml does not parse: ${head.failure}`;
    const comment = await deps.github.upsertComment(
      request.number,
      PREVIEW_MARKER,
      `${PREVIEW_MARKER}\n## Tidemark preview\n\n❌ ${description}\n`,
    );
    await deps.github.setStatus(head.sha, PREVIEW_STATUS_CONTEXT, 'failure', description);
    return { kind: 'previewed', headSha: head.sha, state: 'failure', description, comment };
  }
  const baseSide: PreviewSide = 'failure' in base ? { dir: base.dir, sha: base.sha, targets: [] } : base;
  const preview = await previewChanges(baseSide, head, { ...deps, place: 'lambda' });
  const status = previewStatus(preview);
  // The comment first: a status that says "failure" should find the reason already written.
  const comment = await deps.github.upsertComment(request.number, PREVIEW_MARKER, previewComment(preview));
  await deps.github.setStatus(head.sha, PREVIEW_STATUS_CONTEXT, status.state, status.description);
  return { kind: 'previewed', headSha: head.sha, state: status.state, description: status.description, comment };
}

async function side(
  branch: string,
  deps: PreviewPullRequestDeps,
): Promise<PreviewSide | { dir: string; sha: string; failure: string }> {
  const checkout = await deps.checkout(branch);
  try {
    return { dir: checkout.dir, sha: checkout.revision, targets: await loadRenderTargets(checkout.dir) };
  } catch (error) {
    return { dir: checkout.dir, sha: checkout.revision, failure: renderFailureOf(error).message };
  }
}
