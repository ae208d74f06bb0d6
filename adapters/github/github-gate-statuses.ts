import type { GitHubCredentials } from '../config-repo/github';
import { type GitHubClient, type GitHubRepo, githubClient, githubRepoOf } from './github-client';

export type GateStatusState = 'pending' | 'success' | 'failure';

/** The commit status context of one gate of one stage: `tidemark/promote/<stage>/<gate>`. */
export function gateStatusContext(stage: string, gate: string): string {
  return `tidemark/promote/${stage}/${gate}`;
}

/**
 * Commit statuses of promotion gates on the upstream revision that deployed the candidate, as Argo's GitOps Promoter
 * shows its gates: one context per stage and gate, pending while it holds, failure when it blocks, success when it is
 * open. Needs `statuses: write`, as the notifier's statuses do.
 */
export class GitHubGateStatuses {
  private readonly octokit: GitHubClient;
  private readonly repo: GitHubRepo;

  constructor(options: { repoUrl: string; credentials: GitHubCredentials; octokitOptions?: Record<string, unknown> }) {
    this.repo = githubRepoOf(options.repoUrl);
    this.octokit = githubClient(options.credentials, {
      baseUrl: this.repo.baseUrl,
      userAgent: 'tidemark-promoter',
      options: options.octokitOptions,
    });
  }

  /** Sets the gate's status; GitHub shows the newest status of a context, so setting it again is harmless. */
  async set(sha: string, stage: string, gate: string, state: GateStatusState, description: string): Promise<void> {
    await this.octokit.repos.createCommitStatus({
      owner: this.repo.owner,
      repo: this.repo.repo,
      sha,
      state,
      context: gateStatusContext(stage, gate),
      // GitHub refuses a description over 140 characters.
      description: description.length > 140 ? `${description.slice(0, 139)}…` : description,
    });
  }
}
