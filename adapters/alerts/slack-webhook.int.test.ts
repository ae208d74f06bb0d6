import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { localEnv } from '../../test/support/local-env';
import { SlackDeliveryError, SlackWebhook } from './slack-webhook';

// Against the local Slack receiver (an incoming-webhook endpoint on loopback that can be told to fail the next posts);
// the webhook URL comes from the `tidemark/slack` secret in moto's Secrets Manager, as in AWS.

interface Received {
  body: { text?: string };
}

async function received(marker: string): Promise<Received[]> {
  const all = (await (await fetch(`${localEnv().slack.controlUrl}/messages`)).json()) as Received[];
  return all.filter((m) => m.body.text?.includes(marker));
}

async function failNext(status: number, times: number, retryAfter?: number): Promise<void> {
  await fetch(`${localEnv().slack.controlUrl}/fail`, {
    method: 'POST',
    body: JSON.stringify({ status, times, retryAfter }),
  });
}

/** Records the waits instead of sleeping them, so the test checks the schedule without depending on time. */
function recordingSleep(): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

const message = (marker: string) => ({
  text: `drift ${marker}`,
  blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: marker } }],
});

describe('SlackWebhook', () => {
  it('delivers exactly one message when Slack answers 500 and then 200', async () => {
    const marker = randomUUID();
    const { waits, sleep } = recordingSleep();
    await failNext(500, 1);
    const { attempts } = await SlackWebhook.fromSecret('tidemark/slack', { sleep }).post(message(marker));
    expect(attempts).toBe(2);
    expect(waits).toHaveLength(1);
    expect(await received(marker)).toHaveLength(1);
  });

  it('waits for the Retry-After of a 429 before trying again', async () => {
    const marker = randomUUID();
    const { waits, sleep } = recordingSleep();
    await failNext(429, 2, 3);
    const { attempts } = await SlackWebhook.fromSecret('tidemark/slack', { sleep }).post(message(marker));
    expect(attempts).toBe(3);
    expect(waits).toEqual([3000, 3000]);
    expect(await received(marker)).toHaveLength(1);
  });

  it('gives up after the last attempt, having posted nothing', async () => {
    const marker = randomUUID();
    const { sleep } = recordingSleep();
    await failNext(503, 3);
    const slack = SlackWebhook.fromSecret('tidemark/slack', { sleep, maxAttempts: 3 });
    await expect(slack.post(message(marker))).rejects.toThrow('Slack did not accept the message after 3 attempts');
    expect(await received(marker)).toHaveLength(0);
  });

  it('does not retry a refusal that retrying cannot fix (404: the webhook was removed)', async () => {
    const { waits, sleep } = recordingSleep();
    const gone = new SlackWebhook(async () => `${localEnv().slack.controlUrl}/nowhere`, { sleep });
    await expect(gone.post(message('x'))).rejects.toThrow(SlackDeliveryError);
    expect(waits).toEqual([]);
  });
});
