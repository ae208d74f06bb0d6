import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { localEnv } from '../../test/support/local-env';
import { SlackDeliveryError, SlackWebhook } from './slack-webhook';

// Against the local Slack receiver (an incoming-webhook endpoint on loopback that can be told to fail the next posts
// to a path). Each test has a webhook path of its own, so tests sharing the receiver cannot take each other's failures,
// and reads its URL from a secret of its own in moto's Secrets Manager, as the scanner does in AWS.

interface Received {
  body: { text?: string };
}

/** A webhook of this test's own: its path on the receiver, and the name of the secret holding its URL. */
async function ownWebhook(): Promise<{ path: string; secretName: string }> {
  const path = `/services/T000TEST/B000TEST/${randomUUID()}`;
  const secretName = `tidemark/test-slack-${randomUUID()}`;
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: secretName, SecretString: `${localEnv().slack.controlUrl}${path}` }),
  );
  return { path, secretName };
}

async function received(path: string): Promise<Received[]> {
  return (await (
    await fetch(`${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(path)}`)
  ).json()) as Received[];
}

async function failNext(path: string, status: number, times: number, retryAfter?: number): Promise<void> {
  await fetch(`${localEnv().slack.controlUrl}/fail`, {
    method: 'POST',
    body: JSON.stringify({ status, times, retryAfter, path }),
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
    const { path, secretName } = await ownWebhook();
    const { waits, sleep } = recordingSleep();
    await failNext(path, 500, 1);
    const { attempts } = await SlackWebhook.fromSecret(secretName, { sleep }).post(message('m'));
    expect(attempts).toBe(2);
    expect(waits).toHaveLength(1);
    expect(await received(path)).toHaveLength(1);
  });

  it('waits for the Retry-After of a 429 before trying again', async () => {
    const { path, secretName } = await ownWebhook();
    const { waits, sleep } = recordingSleep();
    await failNext(path, 429, 2, 3);
    const { attempts } = await SlackWebhook.fromSecret(secretName, { sleep }).post(message('m'));
    expect(attempts).toBe(3);
    expect(waits).toEqual([3000, 3000]);
    expect(await received(path)).toHaveLength(1);
  });

  it('gives up after the last attempt, having posted nothing', async () => {
    const { path, secretName } = await ownWebhook();
    const { sleep } = recordingSleep();
    await failNext(path, 503, 3);
    const slack = SlackWebhook.fromSecret(secretName, { sleep, maxAttempts: 3 });
    await expect(slack.post(message('m'))).rejects.toThrow('Slack did not accept the message after 3 attempts');
    expect(await received(path)).toHaveLength(0);
  });

  it('does not retry a refusal that retrying cannot fix (404: the webhook was removed)', async () => {
    const { waits, sleep } = recordingSleep();
    const gone = new SlackWebhook(async () => `${localEnv().slack.controlUrl}/nowhere`, { sleep });
    await expect(gone.post(message('x'))).rejects.toThrow(SlackDeliveryError);
    expect(waits).toEqual([]);
  });
});
