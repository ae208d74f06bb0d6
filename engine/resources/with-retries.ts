import { backoffDelay, defaultRetryPolicy, isRetryable, type RetryPolicy } from '../../core/resources/backoff';

export interface RetryDeps {
  policy?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** A failure after its retries, with how many tries it took. */
export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(messageOf(cause), { cause });
    this.name = 'RetriesExhausted';
  }
}

/**
 * Runs `operation` until it succeeds, retrying with exponential backoff and jitter what may succeed on another try (a
 * throttled call, a reset connection). A `PermanentError` fails at once. Resolves to the value and the tries it took;
 * rejects with {@link RetriesExhausted}, whose message is the last error's.
 */
export async function withRetries<T>(
  operation: () => Promise<T>,
  deps: RetryDeps = {},
): Promise<{ value: T; attempts: number }> {
  const policy = deps.policy ?? defaultRetryPolicy;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await operation(), attempts: attempt };
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw new RetriesExhausted(attempt, error);
      await sleep(backoffDelay(attempt, policy, random()));
    }
  }
}

/** An error's message, or its name when it has none (an AWS SDK error without a message, an AggregateError). */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
