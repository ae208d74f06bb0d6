import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { SlackMessage } from '../../core/alerts/slack-message';

export interface SlackWebhookOptions {
  /** Deliveries tried before giving up. Default 5. */
  maxAttempts?: number;
  /** First backoff after a 5xx, doubled per attempt. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait honoured from Retry-After, so a Lambda never sleeps past its timeout. Default 30 s. */
  maxDelayMs?: number;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class SlackDeliveryError extends Error {
  /**
   * Slack may have posted the message: the request was sent and no answer came in time. Sending it again could post it
   * twice, so whoever keeps a message for redelivery must count it as delivered (see {@link maybeDelivered}).
   */
  readonly maybeDelivered: boolean;

  constructor(message: string, options?: ErrorOptions & { maybeDelivered?: boolean }) {
    super(message, options);
    this.name = 'SlackDeliveryError';
    this.maybeDelivered = options?.maybeDelivered ?? false;
  }
}

/** A delivery that failed in a way that may still have posted the message: it must not be sent again. */
export function maybeDelivered(error: unknown): boolean {
  return error instanceof SlackDeliveryError && error.maybeDelivered;
}

/**
 * Posts Block Kit messages to a Slack incoming webhook.
 *
 * Retries only answers that mean "not posted": 429 (after the Retry-After it names) and 5xx (exponential backoff with
 * jitter), and connection failures before any answer. An incoming webhook has no idempotency key, so an attempt that
 * timed out after sending is not retried: Slack may have posted it, and a second post would be a duplicate message.
 * Any other 4xx (a revoked webhook, a malformed payload) fails at once with Slack's reason.
 */
export class SlackWebhook {
  private readonly options: Required<SlackWebhookOptions>;

  constructor(
    private readonly webhookUrl: () => Promise<string>,
    options: SlackWebhookOptions = {},
  ) {
    this.options = {
      maxAttempts: 5,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      timeoutMs: 10_000,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      ...options,
    };
  }

  /**
   * The webhook URL is a secret (anyone holding it can post to the channel); it is read from Secrets Manager through
   * Powertools Parameters, cached for five minutes per container, and never logged.
   */
  static fromSecret(secretName: string, options?: SlackWebhookOptions): SlackWebhook {
    return new SlackWebhook(async () => {
      const value = await getSecret<string>(secretName, { maxAge: 300 });
      const url = typeof value === 'string' ? value.trim() : '';
      if (!/^https?:\/\//.test(url)) {
        throw new SlackDeliveryError(
          `secret ${secretName} does not hold a Slack webhook URL. Store the URL itself ('https://hooks.slack.com/services/…') as the secret string.`,
        );
      }
      return url;
    }, options);
  }

  /** Delivers one message; resolves once Slack answered 200, throws {@link SlackDeliveryError} otherwise. */
  async post(message: SlackMessage): Promise<{ attempts: number }> {
    const url = await this.webhookUrl();
    const body = JSON.stringify(message);
    const { maxAttempts, baseDelayMs, maxDelayMs, timeoutMs, sleep } = this.options;
    let last = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        if (!notSent(error)) {
          throw new SlackDeliveryError(
            `Slack did not answer within ${timeoutMs} ms; not retried, because it may have posted the message already.`,
            { cause: error, maybeDelivered: true },
          );
        }
        last = `connection failed (${(error as Error).message})`;
        await sleep(backoff(attempt, baseDelayMs, maxDelayMs));
        continue;
      }
      const text = await response.text();
      if (response.ok) return { attempts: attempt };
      last = `HTTP ${response.status} ${text.slice(0, 200)}`;
      if (response.status === 429) {
        await sleep(Math.min(retryAfterMs(response.headers.get('retry-after')) ?? baseDelayMs, maxDelayMs));
      } else if (response.status >= 500) {
        await sleep(backoff(attempt, baseDelayMs, maxDelayMs));
      } else {
        throw new SlackDeliveryError(
          `Slack refused the message (${last}). Check that the webhook in Secrets Manager is still installed in the workspace.`,
        );
      }
    }
    throw new SlackDeliveryError(`Slack did not accept the message after ${maxAttempts} attempts (last: ${last}).`);
  }
}

/** Failures where the request never reached Slack, so retrying cannot duplicate the message. */
function notSent(error: unknown): boolean {
  const code = ((error as { cause?: { code?: string } }).cause?.code ?? '') as string;
  return ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'].includes(code) && !isTimeout(error);
}

function isTimeout(error: unknown): boolean {
  return (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
}

/** Retry-After is seconds or an HTTP date. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function backoff(attempt: number, base: number, max: number): number {
  const exp = Math.min(max, base * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2);
}
