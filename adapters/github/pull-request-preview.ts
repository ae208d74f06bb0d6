import type { GitHubCredentials } from '../config-repo/github';
import { type GitHubClient, type GitHubRepo, githubClient, githubRepoOf } from './github-client';

/** What became of the preview comment. */
export type CommentOutcome =
  | { kind: 'created'; id: number }
  | { kind: 'updated'; id: number }
  | { kind: 'unchanged'; id: number };

/**
 * Where a pull request's preview goes on GitHub: one issue comment, found again by the marker its body starts with and
 * edited in place (never a second one per push), and the commit status `tidemark/preview` on the head commit. Needs a
 * token or app installation with `pull_requests: write` (or `issues: write`) and `statuses: write`.
 */
export class GitHubPreview {
  private readonly octokit: GitHubClient;
  private readonly repo: GitHubRepo;

  constructor(options: { repoUrl: string; credentials: GitHubCredentials; octokitOptions?: Record<string, unknown> }) {
    this.repo = githubRepoOf(options.repoUrl);
    this.octokit = githubClient(options.credentials, {
      baseUrl: this.repo.baseUrl,
      userAgent: 'tidemark-hydrator',
      options: options.octokitOptions,
    });
  }

  private get coordinates() {
    return { owner: this.repo.owner, repo: this.repo.repo };
  }

  /**
   * Creates the comment, or edits the one whose body starts with `marker`. Comments are read a page of 100 at a time,
   * oldest first, so the first preview comment is the one kept even on a long discussion.
   */
  async upsertComment(number: number, marker: string, body: string): Promise<CommentOutcome> {
    for (let page = 1; ; page++) {
      const { data } = await this.octokit.issues.listComments({
        ...this.coordinates,
        issue_number: number,
        per_page: 100,
        page,
      });
      const mine = data.find((c) => c.body?.startsWith(marker));
      if (mine) {
        if (mine.body === body) return { kind: 'unchanged', id: mine.id };
        await this.octokit.issues.updateComment({ ...this.coordinates, comment_id: mine.id, body });
        return { kind: 'updated', id: mine.id };
      }
      if (data.length < 100) break;
    }
    const created = await this.octokit.issues.createComment({ ...this.coordinates, issue_number: number, body });
    return { kind: 'created', id: created.data.id };
  }

  /** Sets a commit status on the pull request's head commit (GitHub keeps 140 characters of the description). */
  async setStatus(
    sha: string,
    context: string,
    state: 'pending' | 'success' | 'failure',
    description: string,
  ): Promise<void> {
    await this.octokit.repos.createCommitStatus({
      ...this.coordinates,
      sha,
      state,
      context,
      description: description.slice(0, 140),
    });
  }
}
