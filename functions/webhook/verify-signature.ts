import { createHash, timingSafeEqual } from 'node:crypto';
import { verify } from '@octokit/webhooks-methods';

/** Which provider sent a delivery, told by its headers. */
export type WebhookProvider = 'github' | 'gitlab';

export type Verification = { kind: 'verified'; provider: WebhookProvider } | { kind: 'refused'; reason: string };

/** Header names as a Function URL delivers them (lower-cased). */
export type Headers = Readonly<Record<string, string | undefined>>;

/**
 * The provider a request claims to come from, or none. GitHub signs with `X-Hub-Signature-256`; GitLab sends its
 * secret token in `X-Gitlab-Token`. A request that names neither is not a webhook we can authenticate.
 */
export function providerOf(headers: Headers): WebhookProvider | undefined {
  if (headers['x-hub-signature-256'] !== undefined || headers['x-github-event'] !== undefined) return 'github';
  if (headers['x-gitlab-token'] !== undefined || headers['x-gitlab-event'] !== undefined) return 'gitlab';
  return undefined;
}

/**
 * Checks that a delivery comes from the configured repo's provider: GitHub's HMAC-SHA256 of the raw body with the
 * shared secret (verified by `@octokit/webhooks-methods`, which compares in constant time), or GitLab's token
 * compared in constant time. `rawBody` must be the exact text GitHub signed: decoded from base64 when the Function URL
 * encoded it, and not re-serialised.
 */
export async function verifySignature(
  provider: WebhookProvider,
  headers: Headers,
  rawBody: string,
  secret: string,
): Promise<Verification> {
  if (provider === 'github') {
    const signature = headers['x-hub-signature-256'];
    if (!signature) return { kind: 'refused', reason: 'X-Hub-Signature-256 header is missing' };
    if (rawBody.length === 0) return { kind: 'refused', reason: 'the body is empty, so there is nothing signed' };
    return (await verify(secret, rawBody, signature))
      ? { kind: 'verified', provider }
      : { kind: 'refused', reason: 'X-Hub-Signature-256 does not match the body and the webhook secret' };
  }
  const token = headers['x-gitlab-token'];
  if (!token) return { kind: 'refused', reason: 'X-Gitlab-Token header is missing' };
  // Hash both sides first: timingSafeEqual needs equal lengths, and comparing lengths directly would leak the secret's.
  const matches = timingSafeEqual(sha256(token), sha256(secret));
  return matches
    ? { kind: 'verified', provider }
    : { kind: 'refused', reason: 'X-Gitlab-Token does not match the webhook secret' };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
