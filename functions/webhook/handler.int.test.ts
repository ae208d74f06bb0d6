import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import examples from '@octokit/webhooks-examples';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClaimLedger } from '../../adapters/state/claim-ledger';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import type { SyncRequest } from '../../adapters/sync-queue/sync-request';
import { createScratchQueue, lambdaContext, type ScratchQueue, webhookDelivery } from '../../local/invoke';
import { deliveryLedger } from './receive-webhook';

// The handler runs in process, unchanged, against moto: the secret comes from Secrets Manager, deliveries are
// recorded in the State table, sync requests land on real SQS queues. Payloads are GitHub's published examples.
const example = (name: string) => examples.find((e) => e.name === name)!.examples as Record<string, unknown>[];
const githubPush = example('push').find((p) => p.ref === 'refs/heads/master')!;
const githubTagPush = example('push').find((p) => p.ref === 'refs/tags/simple-tag' && p.created === true)!;
const githubPing = example('ping')[0]!;
const githubIssue = example('issues')[0]!;

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** A webhook secret in moto's Secrets Manager, and the deployment config naming it. */
async function deployment(repoUrl: string, branch: string, clusters: Record<string, ScratchQueue>) {
  const secretName = `tidemark-test/webhook-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(20).toString('hex');
  await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: secretName, SecretString: secret }));
  const config = {
    configRepo: { provider: 'github', url: repoUrl, branch, authSecretName: 'unused' },
    clusters: Object.keys(clusters).map((name) => ({
      name,
      eksClusterName: name,
      region: 'us-east-1',
      path: `clusters/${name}`,
    })),
    images: { ecrRepositories: ['web'] },
    webhook: { secretName },
  };
  vi.stubEnv('TIDEMARK_CONFIG', JSON.stringify(config));
  vi.stubEnv(
    'TIDEMARK_SYNC_QUEUE_URLS',
    JSON.stringify(Object.fromEntries(Object.entries(clusters).map(([name, q]) => [name, q.url]))),
  );
  vi.resetModules();
  const { handler } = await import('./handler');
  return { secret, handler: ((event) => handler(event, lambdaContext('webhook'))) as Handler };
}

/** Everything waiting on a queue, removed from it. */
async function drained(q: ScratchQueue): Promise<SyncRequest[]> {
  const queue = new SyncQueue(q.url);
  const received = await queue.receive({ waitTimeSeconds: 1, visibilityTimeoutSeconds: 30 });
  await queue.delete(received.map((r) => r.receipt));
  return received.flatMap((r) => (r.kind === 'request' ? [r.request] : []));
}

async function deliveryRecord(deliveryId: string) {
  const out = await new DynamoDBClient({}).send(
    new GetItemCommand({
      TableName: process.env.TIDEMARK_TABLE_NAME!,
      Key: {
        id: {
          S: new ClaimLedger({ tableName: process.env.TIDEMARK_TABLE_NAME!, ...deliveryLedger }).keyOf(deliveryId),
        },
      },
    }),
  );
  return out.Item;
}

/** The push with a new `after` commit: a push no earlier test (or run, within the replay window) delivered. */
function freshPush<T>(payload: T): T {
  if (typeof payload !== 'object' || payload === null || !('after' in payload)) return payload;
  return { ...payload, after: randomBytes(20).toString('hex') };
}

const queues: ScratchQueue[] = [];
async function scratch(name: string) {
  const q = await createScratchQueue(`webhook-test-${name}`);
  queues.push(q);
  return q;
}
afterAll(async () => {
  vi.unstubAllEnvs();
  for (const q of queues) await q.delete().catch(() => undefined);
});

describe('webhook handler with GitHub deliveries', () => {
  let dev: ScratchQueue;
  let prod: ScratchQueue;
  let secret: string;
  let handler: Handler;
  beforeAll(async () => {
    dev = await scratch('dev');
    prod = await scratch('prod');
    ({ secret, handler } = await deployment('https://github.com/Codertocat/Hello-World.git', 'master', { dev, prod }));
  });
  // Each delivery a push of its own (a new `after`): the same push under a new delivery id is a replay (see below).
  const deliver = (event: string, payload: unknown, extra: { deliveryId?: string; base64?: boolean } = {}) =>
    webhookDelivery({ event, payload: freshPush(payload), secret, ...extra });
  const revisionOf = (e: APIGatewayProxyEventV2) => JSON.parse(e.body!).after as string;

  it("accepts GitHub's example push and asks every cluster to sync its head (a new branch may touch any)", async () => {
    const deliveryId = randomUUID();
    const delivery = deliver('push', githubPush, { deliveryId });
    const response = await handler(delivery);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toMatchObject({ clusters: ['dev', 'prod'] });
    const expected: SyncRequest = {
      repo: 'https://github.com/Codertocat/Hello-World.git',
      branch: 'master',
      revision: revisionOf(delivery),
      pushedAt: '2019-05-15T15:20:57.000Z',
      deliveryId,
    };
    expect(await drained(dev)).toEqual([expected]);
    expect(await drained(prod)).toEqual([expected]);
    const record = await deliveryRecord(deliveryId);
    expect(Number(record?.expiration?.N)).toBeGreaterThan(Date.now() / 1000 + 3 * 24 * 3600);
  });

  it('wakes only the cluster whose folder the pushed commits changed', async () => {
    const commits = [{ added: [], modified: ['clusters/dev/web/deployment.yaml'], removed: [] }];
    const delivery = deliver('push', { ...githubPush, created: false, commits });
    const response = await handler(delivery);
    expect(response.statusCode).toBe(200);
    expect((await drained(dev)).map((r) => r.revision)).toEqual([revisionOf(delivery)]);
    expect(await drained(prod)).toEqual([]);
  });

  it('acknowledges a redelivery and sends nothing the second time', async () => {
    const deliveryId = randomUUID();
    const delivery = deliver('push', githubPush, { deliveryId });
    expect((await handler(delivery)).statusCode).toBe(200);
    const again = await handler(structuredClone(delivery));
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body!).message).toMatch(/already handled/);
    expect(await drained(dev)).toHaveLength(1);
    expect(await drained(prod)).toHaveLength(1);
  });

  it('handles a signed push replayed under new delivery ids once, and the next push of the branch again', async () => {
    const push = freshPush(githubPush);
    const replay = () => webhookDelivery({ event: 'push', payload: push, secret, deliveryId: randomUUID() });
    expect((await handler(replay())).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) {
      const again = await handler(replay());
      expect(again.statusCode).toBe(200);
      expect(JSON.parse(again.body!).message).toMatch(/push of [0-9a-f]{40} was already handled .*new delivery id/);
    }
    expect(await drained(dev)).toHaveLength(1);
    expect(await drained(prod)).toHaveLength(1);
    // The next push moves the branch on from there: a push of its own.
    const next: Record<string, unknown> = { ...freshPush(githubPush), before: push.after };
    expect((await handler(webhookDelivery({ event: 'push', payload: next, secret }))).statusCode).toBe(200);
    expect((await drained(dev)).map((r) => r.revision)).toEqual([next.after]);
    await drained(prod);
  });

  it('decodes a base64 body before checking the signature', async () => {
    const event = deliver('push', githubPush, { base64: true });
    expect(event.isBase64Encoded).toBe(true);
    expect((await handler(event)).statusCode).toBe(200);
    expect(await drained(dev)).toHaveLength(1);
    await drained(prod);
  });

  it('accepts the form-encoded content type GitHub can be configured to send', async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify(freshPush(githubPush)))}`;
    const event = deliver('push', githubPush);
    const { createHmac } = await import('node:crypto');
    event.headers['content-type'] = 'application/x-www-form-urlencoded';
    event.headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    event.body = body;
    expect((await handler(event)).statusCode).toBe(200);
    expect(await drained(dev)).toHaveLength(1);
    await drained(prod);
  });

  it("answers GitHub's example ping with 200 and sends nothing", async () => {
    const response = await handler(deliver('ping', githubPing));
    expect(response.statusCode).toBe(200);
    expect(await drained(dev)).toEqual([]);
  });

  it('acknowledges other events, other branches and tags with 202 and sends nothing', async () => {
    expect((await handler(deliver('issues', githubIssue))).statusCode).toBe(202);
    expect((await handler(deliver('push', { ...githubPush, ref: 'refs/heads/feature' }))).statusCode).toBe(202);
    expect((await handler(deliver('push', githubTagPush))).statusCode).toBe(202);
    const otherRepo = { ...githubPush, repository: { clone_url: 'https://github.com/evil/fork.git' } };
    expect((await handler(deliver('push', otherRepo))).statusCode).toBe(202);
    expect(await drained(dev)).toEqual([]);
    expect(await drained(prod)).toEqual([]);
  });

  describe('refuses, and records and sends nothing for', () => {
    const refusedWith = async (event: APIGatewayProxyEventV2, status: number) => {
      const response = await handler(event);
      expect(response.statusCode).toBe(status);
      expect(JSON.parse(response.body!).message).toEqual(expect.any(String));
      expect(await deliveryRecord(event.headers['x-github-delivery']!)).toBeUndefined();
      expect(await drained(dev)).toEqual([]);
    };

    it('a tampered body (401)', async () => {
      const event = deliver('push', githubPush);
      event.body = event.body!.replace(revisionOf(event), 'f'.repeat(40));
      await refusedWith(event, 401);
    });

    it('a body signed with another secret (401)', async () => {
      await refusedWith(webhookDelivery({ event: 'push', payload: githubPush, secret: 'not the secret' }), 401);
    });

    it('a missing X-Hub-Signature-256 header (401)', async () => {
      const event = deliver('push', githubPush);
      delete event.headers['x-hub-signature-256'];
      await refusedWith(event, 401);
    });

    it('a signed body over 1 MB (413)', async () => {
      const padding = 'x'.repeat(1024 * 1024);
      await refusedWith(deliver('push', { ...githubPush, padding }), 413);
    });

    it('a signed body that is not JSON (400)', async () => {
      const { createHmac } = await import('node:crypto');
      const event = deliver('push', githubPush);
      event.body = '{"ref": "refs/heads/master",';
      event.headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', secret).update(event.body).digest('hex')}`;
      await refusedWith(event, 400);
    });

    it('a signed push without the fields of a push (400)', async () => {
      await refusedWith(deliver('push', { zen: 'Keep it logically awesome.' }), 400);
    });
  });
});

describe('webhook handler with GitLab deliveries', () => {
  let dev: ScratchQueue;
  let secret: string;
  let handler: Handler;
  const gitlabPush = {
    object_kind: 'push',
    before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
    after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    ref: 'refs/heads/main',
    project: { git_http_url: 'https://gitlab.example.com/acme/config.git' },
    commits: [{ added: [], modified: ['clusters/dev/redis.yaml'], removed: [] }],
    total_commits_count: 1,
  };
  beforeAll(async () => {
    dev = await scratch('gl-dev');
    ({ secret, handler } = await deployment('https://gitlab.example.com/acme/config.git', 'main', { dev }));
  });

  it('accepts a push whose X-Gitlab-Token is the secret', async () => {
    const payload = freshPush(gitlabPush);
    const response = await handler(webhookDelivery({ provider: 'gitlab', event: 'Push Hook', payload, secret }));
    expect(response.statusCode).toBe(200);
    expect((await drained(dev)).map((r) => r.revision)).toEqual([payload.after]);
  });

  it('refuses a wrong token with 401', async () => {
    const event = webhookDelivery({ provider: 'gitlab', event: 'Push Hook', payload: gitlabPush, secret: 'guess' });
    expect((await handler(event)).statusCode).toBe(401);
    expect(await drained(dev)).toEqual([]);
  });
});

describe('webhook handler when SQS fails', () => {
  it('answers 500 and forgets the delivery, so a redelivery is handled instead of ignored', async () => {
    const gone = await scratch('gone');
    const { secret, handler } = await deployment('https://github.com/Codertocat/Hello-World.git', 'master', { gone });
    await gone.delete();
    const deliveryId = randomUUID();
    const push = freshPush(githubPush);
    const response = await handler(webhookDelivery({ event: 'push', payload: push, secret, deliveryId }));
    expect(response.statusCode).toBe(500);
    expect(await deliveryRecord(deliveryId)).toBeUndefined();
  });
});
