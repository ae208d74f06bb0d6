import { z } from 'zod';

/** A pull request whose rendered changes should be previewed: GitHub's `pull_request` opened, synchronize or reopened. */
export interface PullRequestPush {
  number: number;
  /** Clone and web URLs of the base repository (the config repo, when the pull request is to it). */
  repoUrls: string[];
  base: { branch: string; sha: string };
  head: { branch: string; sha: string; fork: boolean };
}

export type PullRequestParse =
  | { kind: 'preview'; pullRequest: PullRequestPush }
  | { kind: 'not-previewed'; reason: string }
  | { kind: 'invalid'; reason: string };

const sha = z.string().regex(/^[0-9a-f]{40,64}$/);
const Repo = z.object({ full_name: z.string(), clone_url: z.string().optional(), html_url: z.string().optional() });

/** The fields of GitHub's `pull_request` payload we use (docs.github.com, "Webhook events and payloads"). */
const GitHubPullRequest = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    base: z.object({ ref: z.string().min(1), sha, repo: Repo }),
    // A deleted fork leaves `head.repo` null.
    head: z.object({ ref: z.string().min(1), sha, repo: Repo.nullable() }),
  }),
});

/** Actions after which the head (or the pull request itself) is new: the others (labels, reviews) change no render. */
const previewed = new Set(['opened', 'synchronize', 'reopened']);

export function parsePullRequest(payload: unknown): PullRequestParse {
  const parsed = GitHubPullRequest.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'invalid', reason: `${issue.path.join('.') || 'payload'}: ${issue.message}` };
  }
  const { action, number, pull_request: pr } = parsed.data;
  if (!previewed.has(action)) return { kind: 'not-previewed', reason: `'${action}' changes nothing a preview shows` };
  const base = pr.base.repo;
  return {
    kind: 'preview',
    pullRequest: {
      number,
      repoUrls: [base.clone_url, base.html_url].filter((u): u is string => u !== undefined),
      base: { branch: pr.base.ref, sha: pr.base.sha },
      head: { branch: pr.head.ref, sha: pr.head.sha, fork: pr.head.repo?.full_name !== base.full_name },
    },
  };
}
