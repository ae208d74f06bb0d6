/**
 * Removes credentials from text that leaves the cluster (deployment events, alerts, commit statuses). A fetch error can
 * quote the remote URL with its password (`https://user:token@host/repo.git`), a provider can echo an Authorization
 * header, and a hostile commit can put a token in a message on purpose; none of it may reach Slack or GitHub.
 *
 * Written by hand because what counts as a credential here is specific (URL user-info, bearer and basic headers,
 * `key=value` pairs named like secrets, the token formats of GitHub, Slack and AWS); a general-purpose scrubber would
 * either miss these or mangle ordinary manifest text.
 */
export function redactSecrets(text: string): string {
  return (
    text
      // scheme://user:password@host → scheme://***@host (user-info of any URL, with or without a password)
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"<>]+@/gi, '$1***@')
      // Authorization: Bearer xyz / Basic xyz
      .replace(/\b(authorization\s*[:=]\s*)(bearer|basic|token)\s+[^\s'"]+/gi, '$1$2 ***')
      .replace(/\b(bearer)\s+[A-Za-z0-9._~+/=-]{16,}/gi, '$1 ***')
      // password=…, token: …, secret="…", api_key=…
      .replace(
        /\b((?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|private[_-]?key)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;]+)/gi,
        '$1***',
      )
      // GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), Slack tokens and webhook paths, AWS access key ids
      .replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, '***')
      .replace(/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, '***')
      .replace(/(hooks\.slack\.com\/services\/)[A-Za-z0-9/]+/g, '$1***')
      .replace(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '***')
      .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '***')
  );
}

/** A URL without its user-info, query and fragment: what a repository is called in events and messages. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return redactSecrets(url);
  }
}
