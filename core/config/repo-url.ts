/**
 * The one identity of a git repository, used by every part that asks "is this the same repository?": the webhook (a
 * push's clone URLs against the configured one), the sync-queue listener and the agent's controller (a sync request
 * against each Sync's `spec.url`) and the drift scanner (the Syncs that apply the config repo).
 *
 * The same repository is written many ways: `https://github.com/acme/config.git`, `https://github.com/acme/config`,
 * `https://ci@GitHub.com/acme/config/`, `http://…` behind a proxy that upgrades, or scp-style
 * `git@github.com:acme/config.git`. So the key keeps only the host (with a non-default port) and the path, without
 * the scheme, user info, a trailing `/` or `.git`, in lower case. Lower case because GitHub and GitLab treat owner and
 * name without case; on a server that does not, two repositories differing only in case would share a key, and the
 * worst that does is an early reconcile of a Sync (it still pulls its own URL), while a missed match leaves a push
 * unapplied until the next poll.
 *
 * @example
 * repoKey('https://ci@GitHub.com/acme/config.git/') // 'github.com/acme/config'
 * sameRepo('http://git.example.com/config.git', 'https://git.example.com/config') // true
 */
export function repoKey(url: string): string {
  const trimmed = url.trim();
  const scp = /^[\w.-]+@([^:/]+):(?!\/)(.+)$/.exec(trimmed);
  let hostAndPath: string;
  if (scp) {
    hostAndPath = `${scp[1]}/${scp[2]}`;
  } else {
    try {
      const parsed = new URL(trimmed);
      hostAndPath = `${parsed.host}${parsed.pathname}`;
    } catch {
      hostAndPath = trimmed;
    }
  }
  return hostAndPath
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

/** Whether two URLs name the same repository (see {@link repoKey}). */
export function sameRepo(a: string, b: string): boolean {
  return repoKey(a) === repoKey(b);
}
