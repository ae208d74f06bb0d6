import * as z from '../../core/zod';
import type { WebhookProvider } from './verify-signature';

/** A push, the same for GitHub and GitLab: what the webhook needs to decide which clusters to wake. */
export interface Push {
  /** Clone and web URLs of the pushed repository, any of which may equal the configured repo URL. */
  repoUrls: string[];
  /** Full ref: `refs/heads/main`, `refs/tags/v1`. */
  ref: string;
  /** The commit the ref pointed at before the push (all zeros for a new ref), when the payload says. */
  before?: string;
  /** The commit the ref now points at; all zeros when the ref was deleted. */
  after: string;
  /** Paths the pushed commits added, modified or removed. */
  changedPaths: string[];
  /**
   * Whether `changedPaths` may miss some: a forced push (history rewritten), a new branch, more commits than the
   * payload lists (GitHub and GitLab cap the list), or no commit listed at all.
   */
  incomplete: boolean;
  /** When the push happened, if the payload says (GitHub's `repository.pushed_at`). */
  pushedAt?: Date;
}

export type PushParse = { kind: 'push'; push: Push } | { kind: 'invalid'; reason: string };

/** GitHub and GitLab both list at most 20 commits with their files in some payloads; past that, paths are missing. */
const listedCommitsLimit = 20;

const paths = z._default(z.array(z.string()), []);
const commit = z.object({ added: paths, modified: paths, removed: paths });

/** The fields of GitHub's `push` payload we use (docs.github.com, "Webhook events and payloads", push). */
const GitHubPush = z.object({
  ref: z.string().check(z.minLength(1)),
  before: z.optional(z.string()),
  after: z.string().check(z.regex(/^[0-9a-f]{40,64}$/)),
  created: z._default(z.boolean(), false),
  deleted: z._default(z.boolean(), false),
  forced: z._default(z.boolean(), false),
  commits: z._default(z.array(commit), []),
  repository: z.object({
    clone_url: z.optional(z.string()),
    html_url: z.optional(z.string()),
    // A number (epoch seconds) on push events, an ISO string on the repository objects of other events.
    pushed_at: z.optional(z.union([z.number(), z.string(), z.null()])),
  }),
});

/** The fields of GitLab's push event we use (docs.gitlab.com, "Webhook events", push events). */
const GitLabPush = z.object({
  object_kind: z.literal('push'),
  ref: z.string().check(z.minLength(1)),
  before: z.string(),
  after: z.string().check(z.regex(/^[0-9a-f]{40,64}$/)),
  total_commits_count: z.optional(z.int().check(z.nonnegative())),
  commits: z._default(z.array(commit), []),
  project: z.object({ git_http_url: z.optional(z.string()), web_url: z.optional(z.string()) }),
});

const zeroSha = /^0+$/;

/** Reads a push payload of either provider; `invalid` says which field is wrong, for a 400 answer. */
export function parsePush(provider: WebhookProvider, payload: unknown): PushParse {
  if (provider === 'github') {
    const parsed = GitHubPush.safeParse(payload);
    if (!parsed.success) return invalid(parsed.error);
    const p = parsed.data;
    return {
      kind: 'push',
      push: {
        repoUrls: [p.repository.clone_url, p.repository.html_url].filter((u): u is string => !!u),
        ref: p.ref,
        ...(p.before !== undefined && { before: p.before }),
        after: p.after,
        changedPaths: changedPaths(p.commits),
        incomplete: p.forced || p.created || p.commits.length === 0 || p.commits.length > listedCommitsLimit,
        ...(typeof p.repository.pushed_at === 'number' && { pushedAt: new Date(p.repository.pushed_at * 1000) }),
      },
    };
  }
  const parsed = GitLabPush.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error);
  const p = parsed.data;
  const total = p.total_commits_count ?? p.commits.length;
  return {
    kind: 'push',
    push: {
      repoUrls: [p.project.git_http_url, p.project.web_url].filter((u): u is string => !!u),
      ref: p.ref,
      before: p.before,
      after: p.after,
      changedPaths: changedPaths(p.commits),
      // GitLab has no `forced` flag; a rewrite shows up as listed commits that do not add up, or none at all.
      incomplete:
        zeroSha.test(p.before) || p.commits.length === 0 || total > p.commits.length || total > listedCommitsLimit,
    },
  };
}

/** Whether the push deleted its ref (nothing to apply). */
export function deletesRef(push: Push): boolean {
  return zeroSha.test(push.after);
}

function changedPaths(commits: z.infer<typeof commit>[]): string[] {
  return [...new Set(commits.flatMap((c) => [...c.added, ...c.modified, ...c.removed]))];
}

function invalid(error: z.core.$ZodError): PushParse {
  const issue = error.issues[0]!;
  return { kind: 'invalid', reason: `${issue.path.join('.') || 'payload'}: ${issue.message}` };
}
