/**
 * A GitHub `push` payload for a real commit on a local git server, with the fields GitHub documents and the webhook
 * reads (`ref`, `before`, `after`, `created`, `forced`, `commits[].added/modified/removed`, `repository.clone_url`,
 * `repository.pushed_at` in epoch seconds). Lets the tests, the demo and the latency benchmark deliver the push
 * GitHub would send for a commit they just pushed.
 */
export function githubPush(input: {
  repoUrl: string;
  branch?: string;
  before: string;
  after: string;
  modified?: string[];
  added?: string[];
  removed?: string[];
  pushedAt?: Date;
}): Record<string, unknown> {
  const pushedAt = input.pushedAt ?? new Date();
  const name = new URL(input.repoUrl).pathname.replace(/^\//, '').replace(/\.git$/, '');
  return {
    ref: `refs/heads/${input.branch ?? 'main'}`,
    before: input.before,
    after: input.after,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${input.repoUrl.replace(/\.git$/, '')}/compare/${input.before.slice(0, 12)}...${input.after.slice(0, 12)}`,
    commits: [
      {
        id: input.after,
        tree_id: input.after,
        distinct: true,
        message: 'test commit',
        timestamp: pushedAt.toISOString(),
        url: `${input.repoUrl.replace(/\.git$/, '')}/commit/${input.after}`,
        author: { name: 'Test', email: 'test@localhost' },
        committer: { name: 'Test', email: 'test@localhost' },
        added: input.added ?? [],
        removed: input.removed ?? [],
        modified: input.modified ?? [],
      },
    ],
    head_commit: null,
    repository: {
      name: name.split('/').pop(),
      full_name: name,
      clone_url: input.repoUrl,
      html_url: input.repoUrl.replace(/\.git$/, ''),
      pushed_at: Math.floor(pushedAt.getTime() / 1000),
      default_branch: input.branch ?? 'main',
    },
    pusher: { name: 'test', email: 'test@localhost' },
    sender: { login: 'test', id: 1, type: 'User' },
  };
}
