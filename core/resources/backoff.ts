/** How a failing provider call is retried: attempts in all, and the exponential backoff between them. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The wait after the first failure, doubled after each one. */
  baseDelayMs: number;
  /** The longest single wait, so a reconcile never sleeps past its Lambda's timeout. */
  maxDelayMs: number;
}

/**
 * Four tries over about two seconds: enough to ride out a throttled burst or a connection reset, short enough that a
 * database that is really down fails the run with its reason while the Lambda still has time to say so.
 */
export const defaultRetryPolicy: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 };

/**
 * The wait before try `attempt + 1`, "equal jitter": half the exponential delay plus a random part of the other half,
 * so many objects failing at once do not retry in lockstep. `random` is passed in because core/ has no randomness.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random * (exp / 2));
}

/** Whether an error may be retried: everything except errors marked `retryable: false` (a `PermanentError`). */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false);
}
