import type { DeploymentEvent } from './deployment-event';

/** What a failure is about, without what is particular to one Sync or one attempt: the unit failures fold by. */
export interface FailureCause {
  /** Equal for two failures with the same cause in one cluster. */
  key: string;
  /** The cause in words, for the folded message: "cannot fetch from github.com: Authentication failed". */
  summary: string;
}

/**
 * The cause of a `failed` or `degraded` event. Many Syncs failing at once for one reason (a git outage, an expired
 * credential, an API server restarting) must fold into one message, and two attempts of one failure must compare equal,
 * so the key drops what varies between them: URLs become their host, and request ids, durations, counts and hashes are
 * blanked. Flux's rate limiter keyed on the raw message, so a duration in it defeated the limit
 * (fluxcd/notification-controller#509), and an STS outage quoted a new RequestID per Sync (#1386).
 */
export function failureCause(event: Pick<DeploymentEvent, 'cluster' | 'reason' | 'message' | 'repo'>): FailureCause {
  if (event.reason === 'FetchFailed') {
    const host = hostOf(event.repo);
    // "Fetching URL (branch) failed: <git's error>": the error is the cause, the URL and branch are the Sync's own.
    const error = event.message.replace(/^Fetching .*? failed:\s*/s, '');
    const detail = firstLine(error);
    return {
      key: `${event.cluster}|FetchFailed|${host}|${normalise(detail)}`,
      summary: `cannot fetch from ${host}: ${cutWords(withHosts(detail), 200)}`,
    };
  }
  const detail = firstLine(event.message);
  return {
    key: `${event.cluster}|${event.reason}|${normalise(event.message)}`,
    summary: `${event.reason}: ${cutWords(withHosts(detail), 200)}`,
  };
}

/** The message with everything that differs between attempts of one failure blanked, lowercased, at most 300 chars. */
export function normalise(message: string): string {
  return withHosts(message)
    .toLowerCase()
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '#')
    .replace(/\b[0-9a-f]{7,}\b/g, '#')
    .replace(/\d+(\.\d+)?(ns|µs|us|ms|s|m|h)?\b/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** URLs replaced by their host (and port): `https://x@git.example.com:8443/a/b.git` → `git.example.com:8443`. */
function withHosts(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>)]+/gi, (url) => hostOf(url));
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}

function cutWords(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
