import { createHmac, randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import examples from '@octokit/webhooks-examples';
import type { PushEvent } from '@octokit/webhooks-types';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import { createScratchQueue, lambdaContext, type ScratchQueue, webhookDelivery } from '../../local/invoke';

// 10,000 requests derived from valid deliveries by random mutations, run through the real handler in process against
// moto (Secrets Manager, DynamoDB, SQS). The oracle below recomputes signatures with node:crypto over the exact bytes.
const numRuns = 10_000;
const secret = randomBytes(20).toString('hex');
const githubPush = (examples.find((e) => e.name === 'push')!.examples as PushEvent[]).find(
  (p) => p.ref === 'refs/heads/master',
)!;
const githubPing = examples.find((e) => e.name === 'ping')!.examples[0]!;
const gitlabPush = {
  object_kind: 'push',
  before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
  after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  ref: 'refs/heads/master',
  project: { git_http_url: 'https://github.com/Codertocat/Hello-World.git' },
  commits: [{ added: [], modified: ['clusters/dev/redis.yaml'], removed: [] }],
  total_commits_count: 1,
};
const valid: APIGatewayProxyEventV2[] = [
  webhookDelivery({ event: 'push', payload: githubPush, secret, deliveryId: 'base-push' }),
  webhookDelivery({ event: 'push', payload: githubPush, secret, deliveryId: 'base-push-b64', base64: true }),
  webhookDelivery({ event: 'ping', payload: githubPing, secret, deliveryId: 'base-ping' }),
  webhookDelivery({ provider: 'gitlab', event: 'Push Hook', payload: gitlabPush, secret, deliveryId: 'base-gitlab' }),
];

type Event = APIGatewayProxyEventV2;
type Mutation = (e: Event) => Event;

const bodyBytes = (e: Event) => Buffer.from(e.body ?? '', e.isBase64Encoded ? 'base64' : 'utf8');
const withBytes = (e: Event, bytes: Buffer): Event => ({
  ...e,
  body: e.isBase64Encoded ? bytes.toString('base64') : bytes.toString('latin1'),
});
/** A header as HTTP reads it: names compare case-insensitively, and repeated headers join with a comma. */
const headerOf = (e: Event, name: string) => {
  const values = Object.entries(e.headers).flatMap(([k, v]) =>
    k.toLowerCase() === name && v !== undefined ? [v] : [],
  );
  return values.length > 0 ? values.join(',') : undefined;
};
const hmac = (key: string, bytes: Buffer) => `sha256=${createHmac('sha256', key).update(bytes).digest('hex')}`;
/** Replaces the body and signs it with `key`, as a sender holding that key would. */
const signedBody = (e: Event, text: string, key: string): Event => ({
  ...e,
  isBase64Encoded: false,
  body: text,
  headers: { ...e.headers, 'x-hub-signature-256': hmac(key, Buffer.from(text, 'utf8')) },
});

/** Every id the handler could give a delivery: either provider's delivery header, or `<provider>:<after>`. */
function deliveryIdsOf(e: Event): string[] {
  let after: unknown;
  try {
    after = JSON.parse(bodyBytes(e).toString('utf8'))?.after;
  } catch {}
  return [
    headerOf(e, 'x-github-delivery'),
    headerOf(e, 'x-gitlab-event-uuid'),
    ...(typeof after === 'string' ? [`github:${after}`, `gitlab:${after}`] : []),
  ].filter((id): id is string => id !== undefined);
}

/** The oracle: the exact bytes carry GitHub's HMAC with the secret, or the request carries GitLab's token. */
function validlySigned(e: Event): boolean {
  return headerOf(e, 'x-hub-signature-256') === hmac(secret, bodyBytes(e)) || headerOf(e, 'x-gitlab-token') === secret;
}

const headerNames = fc.constantFrom(
  'x-hub-signature-256',
  'x-github-event',
  'x-github-delivery',
  'content-type',
  'x-gitlab-token',
  'x-gitlab-event',
  'x-gitlab-event-uuid',
);
const commonMutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Bytes of the body: changed, cut, extended, or the whole body replaced while the signature stays.
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(
    ([at, byte]): Mutation =>
      (e) => {
        const b = Buffer.from(bodyBytes(e));
        if (b.length > 0) b[at % b.length] = byte;
        return withBytes(e, b);
      },
  ),
  fc.nat().map(
    (n): Mutation =>
      (e) =>
        withBytes(e, bodyBytes(e).subarray(0, n % (bodyBytes(e).length + 1))),
  ),
  fc.uint8Array({ maxLength: 32 }).map(
    (extra): Mutation =>
      (e) =>
        withBytes(e, Buffer.concat([bodyBytes(e), extra])),
  ),
  fc.string({ unit: 'binary', maxLength: 200 }).map(
    (text): Mutation =>
      (e) => ({ ...e, body: text }),
  ),
  fc.constant<Mutation>((e) => ({ ...e, body: undefined })),
  // Encoding: the flag flipped alone (bytes now mean something else), or the body honestly re-encoded.
  fc.constant<Mutation>((e) => ({ ...e, isBase64Encoded: !e.isBase64Encoded })),
  fc.constant<Mutation>((e) => {
    const b = bodyBytes(e);
    return { ...e, isBase64Encoded: !e.isBase64Encoded, body: b.toString(e.isBase64Encoded ? 'utf8' : 'base64') };
  }),
  // Headers: dropped, set to anything, renamed to upper case, or the signature's characters changed.
  headerNames.map(
    (name): Mutation =>
      (e) => {
        const headers = { ...e.headers };
        delete headers[name];
        return { ...e, headers };
      },
  ),
  fc.tuple(headerNames, fc.string({ maxLength: 80 })).map(
    ([name, value]): Mutation =>
      (e) => ({
        ...e,
        headers: { ...e.headers, [name]: value },
      }),
  ),
  fc.constant<Mutation>((e) => ({
    ...e,
    headers: Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toUpperCase(), v])),
  })),
  fc.tuple(fc.nat(), fc.constantFrom(...'0123456789abcdefABCDEF=')).map(
    ([at, c]): Mutation =>
      (e) => {
        const sig = headerOf(e, 'x-hub-signature-256') ?? '';
        const i = sig.length ? at % sig.length : 0;
        return { ...e, headers: { ...e.headers, 'x-hub-signature-256': sig.slice(0, i) + c + sig.slice(i + 1) } };
      },
  ),
  // GitLab tokens that are almost the secret: a prefix of it, or the secret with something appended.
  fc.tuple(fc.nat(), fc.string({ maxLength: 3 })).map(
    ([n, tail]): Mutation =>
      (e) => ({
        ...e,
        headers: { ...e.headers, 'x-gitlab-token': tail ? `${secret}${tail}` : secret.slice(0, n % secret.length) },
      }),
  ),
  fc.string({ maxLength: 40 }).map(
    (token): Mutation =>
      (e) => ({
        ...e,
        headers: { ...e.headers, 'x-gitlab-token': `${secret.slice(0, token.length % secret.length)}${token}` },
      }),
  ),
  // Re-signed by someone without the secret.
  fc.string({ minLength: 1, maxLength: 40 }).map(
    (key): Mutation =>
      (e) =>
        signedBody(e, e.body ?? '{}', key),
  ),
  // Validly signed, but anything at all inside: arbitrary JSON, or the push with its fields replaced.
  fc.jsonValue({ maxDepth: 3 }).map(
    (v): Mutation =>
      (e) =>
        signedBody(e, JSON.stringify(v) ?? 'null', secret),
  ),
  fc
    .record(
      {
        ref: fc.oneof(fc.constant('refs/heads/master'), fc.string()),
        after: fc.oneof(fc.constant(githubPush.after), fc.string(), fc.integer()),
        forced: fc.oneof(fc.boolean(), fc.string()),
        commits: fc.oneof(
          fc.array(
            fc.record({ added: fc.array(fc.string()), modified: fc.anything(), removed: fc.array(fc.string()) }),
          ),
          fc.anything(),
        ),
        repository: fc.oneof(fc.constant(githubPush.repository), fc.anything()),
      },
      { requiredKeys: [] },
    )
    .map(
      (fields): Mutation =>
        (e) =>
          signedBody(e, JSON.stringify({ ...githubPush, ...fields }), secret),
    ),
);
// Rare: methods other than POST, and a validly signed body just over the limit (1 MB per run is slow to build).
const rareMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom('GET', 'PUT', 'DELETE').map(
    (method): Mutation =>
      (e) => ({
        ...e,
        requestContext: { ...e.requestContext, http: { ...e.requestContext.http, method } },
      }),
  ),
  fc.constant<Mutation>((e) => signedBody(e, `{"pad":"${'x'.repeat(1024 * 1024)}"}`, secret)),
);
const mutation = fc.oneof({ arbitrary: commonMutation, weight: 30 }, { arbitrary: rareMutation, weight: 1 });

const request = fc
  .tuple(fc.constantFrom(...valid), fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([base, mutations]) => mutations.reduce((e, m) => m(e), structuredClone(base)));

let handler: (e: Event) => Promise<APIGatewayProxyStructuredResultV2>;
let dev: ScratchQueue;
beforeAll(async () => {
  const secretName = `tidemark-test/webhook-${randomBytes(4).toString('hex')}`;
  await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: secretName, SecretString: secret }));
  dev = await createScratchQueue('webhook-property-dev');
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
  vi.stubEnv('TIDEMARK_SYNC_QUEUE_URLS', JSON.stringify({ dev: dev.url }));
  // 10,000 info lines and metric documents would drown the report; errors are still logged.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.resetModules();
  const loaded = await import('./handler');
  handler = (e) => loaded.handler(e, lambdaContext('webhook'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await dev?.delete();
});

describe('webhook handler under 10,000 mutated deliveries', () => {
  it('accepts none that is not validly signed, answers none with a 5xx, and queues only signed pushes', async () => {
    const statuses = new Map<number, number>();
    const signedDeliveries = new Set<string>();
    await fc.assert(
      fc.asyncProperty(request, async (event) => {
        const signed = validlySigned(event);
        if (signed) for (const id of deliveryIdsOf(event)) signedDeliveries.add(id);
        const { statusCode = 0 } = await handler(event);
        statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
        expect([200, 202, 400, 401, 405, 413]).toContain(statusCode);
        if (statusCode >= 200 && statusCode < 300) expect(signed).toBe(true);
      }),
      { numRuns },
    );

    // Not vacuous: the mutations reached both sides of the gate.
    expect(statuses.get(401) ?? 0).toBeGreaterThan(numRuns / 10);
    expect((statuses.get(200) ?? 0) + (statuses.get(202) ?? 0)).toBeGreaterThan(numRuns / 100);

    const queue = new SyncQueue(dev.url);
    for (
      let batch = await queue.receive({ waitTimeSeconds: 1 });
      batch.length > 0;
      batch = await queue.receive({ waitTimeSeconds: 1 })
    ) {
      for (const message of batch) {
        expect(message.kind).toBe('request');
        if (message.kind === 'request') expect(signedDeliveries).toContain(message.request.deliveryId);
      }
      await queue.delete(batch.map((m) => m.receipt));
    }
    console.log('status counts over', numRuns, 'mutated deliveries:', Object.fromEntries(statuses));
  }, 600_000);
});
