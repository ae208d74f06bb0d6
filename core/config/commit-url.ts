import { publicUrl } from '../notify/redact';

/**
 * The web page of a commit, from the repository URL a Sync pulls (`spec.url`): GitHub, GitHub Enterprise, Gitea and
 * Forgejo use `/commit/<sha>`, GitLab `/-/commit/<sha>`, Bitbucket `/commits/<sha>`. Credentials in the URL are dropped
 * and an scp-style URL (`git@host:owner/repo.git`) becomes https. `undefined` when the URL is not one a browser opens.
 *
 * @example
 * commitUrl('https://github.com/acme/config.git', 'a1b2…') // 'https://github.com/acme/config/commit/a1b2…'
 */
export function commitUrl(repoUrl: string, sha: string): string | undefined {
  const scp = /^[\w.-]+@([^:/]+):(?!\/)(.+)$/.exec(repoUrl.trim());
  const web = scp ? `https://${scp[1]}/${scp[2]}` : repoUrl.trim();
  let url: URL;
  try {
    url = new URL(publicUrl(web));
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\.git$/, '')}`;
  const host = url.hostname.toLowerCase();
  if (host === 'gitlab.com' || host.startsWith('gitlab.')) return `${base}/-/commit/${sha}`;
  if (host === 'bitbucket.org') return `${base}/commits/${sha}`;
  return `${base}/commit/${sha}`;
}
