import type { GitHubCredentials } from '../config-repo/github';
import { type GitHubClient, type GitHubRepo, githubClient, githubRepoOf } from './github-client';

export type DeploymentState = 'success' | 'failure' | 'inactive';

/** The commit status context Tidemark writes for a cluster: one check per cluster on each commit. */
export function statusContext(cluster: string): string {
  return `tidemark/${cluster}`;
}

/**
 * What GitHub shows of a deployment, on the config repository: a commit status `tidemark/<cluster>` on the revision,
 * and GitHub Deployments with environment = the cluster (the repository's "Environments" and each commit's
 * "deployed to" line). Needs a token or app installation with `statuses: write` and `deployments: write`.
 */
export class GitHubDeployments {
  private readonly octokit: GitHubClient;
  private readonly repo: GitHubRepo;

  constructor(options: { repoUrl: string; credentials: GitHubCredentials; octokitOptions?: Record<string, unknown> }) {
    this.repo = githubRepoOf(options.repoUrl);
    this.octokit = githubClient(options.credentials, {
      baseUrl: this.repo.baseUrl,
      userAgent: 'tidemark-notifier',
      options: options.octokitOptions,
    });
  }

  private get coordinates() {
    return { owner: this.repo.owner, repo: this.repo.repo };
  }

  /** Sets `tidemark/<cluster>` on the commit. Idempotent: the newest status of a context is the one GitHub shows. */
  async setCommitStatus(
    cluster: string,
    sha: string,
    state: 'success' | 'failure',
    description: string,
  ): Promise<void> {
    await this.octokit.repos.createCommitStatus({
      ...this.coordinates,
      sha,
      state,
      context: statusContext(cluster),
      description,
    });
  }

  /**
   * The Deployment of `sha` to `cluster`, created when there is none. Looked up first, so a retry after a crash
   * between creating it and recording its id does not create a second one.
   */
  async deploymentFor(cluster: string, sha: string, description: string): Promise<number> {
    const existing = await this.octokit.repos.listDeployments({
      ...this.coordinates,
      sha,
      environment: cluster,
      task: 'deploy',
      per_page: 1,
    });
    const found = existing.data[0];
    if (found) return found.id;
    const created = await this.octokit.repos.createDeployment({
      ...this.coordinates,
      ref: sha,
      environment: cluster,
      task: 'deploy',
      description,
      // The commit is already applied; GitHub must neither merge the default branch into it nor wait for its checks.
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
    });
    if (!('id' in created.data)) {
      throw new Error(`GitHub did not create a deployment of ${sha} to ${cluster}: ${created.data.message ?? ''}`);
    }
    return created.data.id;
  }

  /**
   * Adds a status to a deployment. `auto_inactive` is off: GitHub applies it only to non-production environments,
   * so the notifier marks the deployment a newer one replaced as `inactive` itself, in every environment alike.
   */
  async setDeploymentState(
    deploymentId: number,
    cluster: string,
    state: DeploymentState,
    description: string,
  ): Promise<void> {
    await this.octokit.repos.createDeploymentStatus({
      ...this.coordinates,
      deployment_id: deploymentId,
      state,
      description,
      environment: cluster,
      auto_inactive: false,
    });
  }
}
