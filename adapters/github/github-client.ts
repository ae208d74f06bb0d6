import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { gitHubApiUrl } from '../config-repo/credentials';
import type { GitHubCredentials } from '../config-repo/github';

const GitHub = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHub>;

/** A repository on GitHub (or GitHub Enterprise Server) as the REST API names it. */
export interface GitHubRepo {
  owner: string;
  repo: string;
  /** `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server. */
  baseUrl: string;
}

/** The repository a clone URL names. @throws Error with the expected form when the URL names none. */
export function githubRepoOf(url: string): GitHubRepo {
  const u = new URL(url);
  const [owner, repo] = u.pathname
    .replace(/^\/+/, '')
    .replace(/\.git$/, '')
    .split('/');
  if (!owner || !repo) {
    throw new Error(`${url} does not name a GitHub repository. Use its clone URL, https://github.com/OWNER/REPO.git`);
  }
  return { owner, repo, baseUrl: gitHubApiUrl(url) };
}

/**
 * An Octokit for Tidemark's calls: a token or a GitHub App installation (Octokit mints and renews its tokens), the
 * rate limits respected by the throttling plugin (waits, then retries twice), transient 5xx retried by the retry
 * plugin. `options` reach Octokit unchanged (tests point `request.fetch` at recorded responses).
 */
export function githubClient(
  credentials: GitHubCredentials,
  settings: { baseUrl: string; userAgent: string; options?: Record<string, unknown> },
): GitHubClient {
  return new GitHub({
    ...('token' in credentials ? { auth: credentials.token } : { authStrategy: createAppAuth, auth: credentials }),
    baseUrl: settings.baseUrl,
    userAgent: settings.userAgent,
    throttle: {
      onRateLimit: (_after: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 2,
      onSecondaryRateLimit: (_after: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < 2,
    },
    ...settings.options,
  });
}
