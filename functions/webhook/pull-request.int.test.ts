import { randomBytes, randomUUID } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import examples from '@octokit/webhooks-examples';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createScratchQueue, lambdaContext, type ScratchQueue, webhookDelivery } from '../../local/invoke';
import { parsePullRequest } from './pull-request-event';

// Pull request deliveries through the real webhook handler: signatures checked, deliveries claimed in moto's State
// table, previews put on a real FIFO queue (the hydrator's). Payloads are GitHub's published examples.
const pullRequests = examples.find((e) => e.name === 'pull_request')!.examples as Record<string, unknown>[];
const opened = pullRequests.find((p) => p.action === 'opened')!;
const labeled = pullRequests.find((p) => p.action === 'labeled')!;

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

describe('webhook handler with GitHub pull_request deliveries', () => {
  let hydrator: ScratchQueue;
  let secret: string;
  let handler: Handler;
  beforeAll(async () => {
    hydrator = await createScratchQueue('webhook-test-hydrator', { fifo: true });
    const secretName = `tidemark-test/webhook-${randomBytes(4).toString('hex')}`;
    secret = randomBytes(20).toString('hex');
    await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: secretName, SecretString: secret }));
    vi.stubEnv(
      'TIDEMARK_CONFIG',
      JSON.stringify({
        configRepo: {
          provider: 'github',
          url: 'https://github.com/Codertocat/Hello-World.git',
          branch: 'master',
          authSecretName: 'unused',
        },
        clusters: [{ name: 'dev', eksClusterName: 'dev', region: 'us-east-1', path: 'clusters/dev' }],
        images: { ecrRepositories: ['web'] },
        webhook: { secretName },
      }),
    );
    vi.stubEnv('TIDEMARK_HYDRATE_QUEUE_URL', hydrator.url);
    vi.resetModules();
    const module = await import('./handler');
    handler = (event) => module.handler(event, lambdaContext('webhook'));
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await hydrator.delete().catch(() => undefined);
  });
  const received = async () => {
    const out = await new SQSClient({}).send(
      new ReceiveMessageCommand({ QueueUrl: hydrator.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return (out.Messages ?? []).map((m) => JSON.parse(m.Body!));
  };

  it("sends GitHub's example opened pull request to the hydrator once, as a preview of base and head", async () => {
    const deliveryId = randomUUID();
    const response = await handler(webhookDelivery({ event: 'pull_request', payload: opened, secret, deliveryId }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!).message).toBe(
      `previewing pull request #2 at ${(opened.pull_request as { head: { sha: string } }).head.sha}`,
    );
    const again = await handler(webhookDelivery({ event: 'pull_request', payload: opened, secret, deliveryId }));
    expect(JSON.parse(again.body!).message).toMatch(/already handled/);
    expect(await received()).toEqual([
      {
        kind: 'preview',
        repo: 'https://github.com/Codertocat/Hello-World.git',
        number: 2,
        base: { branch: 'master', sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e' },
        head: { branch: 'changes', sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', fork: false },
        deliveryId,
      },
    ]);
  });

  it('acknowledges a label change and a forged pull request without sending anything', async () => {
    expect((await handler(webhookDelivery({ event: 'pull_request', payload: labeled, secret }))).statusCode).toBe(202);
    expect(
      (await handler(webhookDelivery({ event: 'pull_request', payload: opened, secret: 'not-the-secret' }))).statusCode,
    ).toBe(401);
    expect(await received()).toEqual([]);
  });
});

describe('parsePullRequest', () => {
  it('tells a fork by its head repository', () => {
    const pr = opened.pull_request as { head: { repo: Record<string, unknown> } };
    const fromFork = {
      ...opened,
      pull_request: { ...pr, head: { ...pr.head, repo: { ...pr.head.repo, full_name: 'someone/Hello-World' } } },
    };
    expect(parsePullRequest(fromFork)).toMatchObject({ kind: 'preview', pullRequest: { head: { fork: true } } });
    expect(parsePullRequest({ action: 'opened' })).toMatchObject({
      kind: 'invalid',
      reason: expect.stringMatching(/^number: /),
    });
  });
});
