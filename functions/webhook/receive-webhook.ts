import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HydrateQueue } from '../../adapters/hydrate-queue/hydrate-queue';
import type { ClaimLedger, ClaimLedgerOptions } from '../../adapters/state/claim-ledger';
import type { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import type { DeploymentConfig } from '../../core/config/deployment-config';
import { sameRepo } from '../../core/config/repo-url';
import { affectedResourceFolders } from '../../core/resources/affected-folders';
import { claimLedgers } from '../../core/state/state-keys';
import { affectedClusters } from './affected-clusters';
import { parsePullRequest } from './pull-request-event';
import { deletesRef, parsePush } from './push-event';
import { type Headers, providerOf, verifySignature, type WebhookProvider } from './verify-signature';

/** What the webhook did with one delivery. Each kind maps to one HTTP status in {@link responseFor}. */
export type WebhookOutcome =
  | { kind: 'method-not-allowed'; method: string }
  | { kind: 'too-large'; bytes: number }
  | { kind: 'unauthenticated'; reason: string }
  | { kind: 'bad-request'; reason: string }
  | { kind: 'pong' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'duplicate'; deliveryId: string; of: 'delivery' | 'push'; revision?: string }
  /** A pull request to the branch was sent to the hydrator, which previews it on the pull request. */
  | { kind: 'previewing'; deliveryId: string; number: number; head: string }
  | {
      kind: 'synced';
      deliveryId: string;
      revision: string;
      clusters: string[];
      withoutQueue: string[];
      /** The push was also sent to the hydrator, which renders it. */
      hydrating?: boolean;
    };

export interface WebhookDependencies {
  config: DeploymentConfig;
  /** The shared secret (GitHub webhook secret or GitLab token); read from Secrets Manager and cached by the caller. */
  webhookSecret: () => Promise<string>;
  /** Deliveries already handled (see {@link deliveryLedger}). */
  deliveries: Pick<ClaimLedger, 'claim' | 'complete' | 'release'>;
  /** Pushes handled in the last minutes, whatever their delivery id (see {@link pushLedger}). */
  pushes: Pick<ClaimLedger, 'claim' | 'complete' | 'release'>;
  /** Time left in the invocation: a claim of a run that dies expires with it, so GitHub's redelivery is handled. */
  remainingTimeInMillis?: () => number;
  /** Cluster name → its sync queue. */
  syncQueues: ReadonlyMap<string, Pick<SyncQueue, 'send'>>;
  /** The hydrator's FIFO queue: every push to the branch is rendered (`.tidemark/render.yaml`). @default none */
  hydrateQueue?: Pick<HydrateQueue, 'send'>;
  now?: () => Date;
}

/** GitHub caps payloads at 25 MB; a config repo push is a few KB, and anything bigger is refused before any HMAC. */
export const maxBodyBytes = 1024 * 1024;

const deliveryIdPattern = /^[\w.:-]{1,200}$/;

/**
 * The claim ledger of deliveries: records `webhook-delivery#<hash>` in the State table. A claim is a conditional write,
 * so two concurrent redeliveries cannot both pass; a week outlasts GitHub's redelivery window (deliveries of the past
 * 3 days can be redelivered).
 */
export const deliveryLedger: Omit<ClaimLedgerOptions, 'tableName' | 'client'> = {
  name: 'webhook',
  keyPrefix: claimLedgers.webhookDeliveries,
  expiresAfterSeconds: 7 * 24 * 3600,
};

/**
 * The claim ledger of pushes: records `webhook-push#<hash>` of provider, repo, ref, before and after. A signed delivery
 * can be replayed by anyone who saw it (a proxy log, a mis-sent payload) under a new `X-GitHub-Delivery`, since the
 * signature covers the body alone; each replay would wake every agent again. The same ref moving from the same commit to
 * the same commit is the same push, so it is handled once in this window. Ten minutes: a replay after that wakes the
 * agents once more (a fetch that finds nothing new), and a real push never repeats both commits that soon.
 */
export const pushLedger: Omit<ClaimLedgerOptions, 'tableName' | 'client'> = {
  name: 'webhook',
  keyPrefix: claimLedgers.webhookPushes,
  expiresAfterSeconds: 10 * 60,
};

/**
 * Handles one webhook delivery: refuses what is unauthenticated or malformed, answers GitHub's ping, and for a push
 * to the configured repo and branch sends one SyncRequest to the queue of each affected cluster. Bad input never
 * throws; only a failure of AWS itself (Secrets Manager, DynamoDB, SQS) does, after un-claiming the delivery.
 */
export async function receiveWebhook(
  event: APIGatewayProxyEventV2,
  deps: WebhookDependencies,
): Promise<WebhookOutcome> {
  const method = event.requestContext?.http?.method ?? 'POST';
  if (method !== 'POST') return { kind: 'method-not-allowed', method };

  const bytes = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > maxBodyBytes) return { kind: 'too-large', bytes: bytes.length };

  const headers = lowerCased(event.headers ?? {});
  const provider = providerOf(headers);
  if (!provider) {
    return { kind: 'unauthenticated', reason: 'no X-Hub-Signature-256 or X-Gitlab-Token header: not a signed webhook' };
  }
  const rawBody = event.isBase64Encoded ? decodeUtf8(bytes) : wellFormed(event.body ?? '');
  if (rawBody === undefined) return { kind: 'bad-request', reason: 'the body is not UTF-8 text' };

  const verification = await verifySignature(provider, headers, rawBody, await deps.webhookSecret());
  if (verification.kind === 'refused') return { kind: 'unauthenticated', reason: verification.reason };

  const payload = parsePayload(rawBody, headers['content-type']);
  if (payload.kind === 'invalid') return { kind: 'bad-request', reason: payload.reason };

  const eventName = provider === 'github' ? headers['x-github-event'] : headers['x-gitlab-event'];
  if (!eventName) return { kind: 'bad-request', reason: `${eventHeader(provider)} header is missing` };
  if (provider === 'github' && eventName === 'ping') return { kind: 'pong' };
  if (provider === 'github' && eventName === 'pull_request') return previewPullRequest(payload.value, headers, deps);
  if (eventName !== (provider === 'github' ? 'push' : 'Push Hook')) {
    return { kind: 'ignored', reason: `'${eventName}' events do not change the config repo` };
  }

  const parsed = parsePush(provider, payload.value);
  if (parsed.kind === 'invalid')
    return { kind: 'bad-request', reason: `not a ${provider} push payload: ${parsed.reason}` };
  const push = parsed.push;
  const { configRepo, clusters } = deps.config;
  if (!push.repoUrls.some((url) => sameRepo(url, configRepo.url))) {
    return { kind: 'ignored', reason: `push to ${push.repoUrls[0] ?? 'another repo'}, not ${configRepo.url}` };
  }
  if (push.ref !== `refs/heads/${configRepo.branch}`) {
    return { kind: 'ignored', reason: `push to ${push.ref}; only refs/heads/${configRepo.branch} is deployed` };
  }
  if (deletesRef(push)) return { kind: 'ignored', reason: `${push.ref} was deleted` };

  // GitLab before 15.x sends no event UUID; the pushed revision then identifies the delivery well enough.
  const deliveryId = headers[deliveryHeader(provider)] ?? `${provider}:${push.after}`;
  if (!deliveryIdPattern.test(deliveryId)) {
    return {
      kind: 'bad-request',
      reason: `${deliveryHeader(provider)} '${deliveryId.slice(0, 60)}' is not a delivery id`,
    };
  }
  const now = deps.now?.() ?? new Date();
  if (!(await deps.deliveries.claim(deliveryId, deps.remainingTimeInMillis?.()))) {
    return { kind: 'duplicate', deliveryId, of: 'delivery' };
  }
  const pushId = [provider, configRepo.url, push.ref, push.before ?? '', push.after].join(' ');
  let pushClaimed: boolean;
  try {
    pushClaimed = await deps.pushes.claim(pushId, deps.remainingTimeInMillis?.());
  } catch (e) {
    await deps.deliveries.release(deliveryId).catch(() => undefined);
    throw e;
  }
  if (!pushClaimed) {
    await deps.deliveries.complete(deliveryId, { duplicateOf: 'push', revision: push.after });
    return { kind: 'duplicate', deliveryId, of: 'push', revision: push.after };
  }

  const { resources } = deps.config;
  const targets = [
    ...affectedClusters(
      push.changedPaths,
      push.incomplete,
      clusters,
      resources.map((f) => f.path),
    ).map((c) => c.name),
    // A folder of resources has a sync queue of its own, keyed `resources/<name>`, read by its reconciler Lambda.
    ...affectedResourceFolders(push.changedPaths, push.incomplete, resources),
  ];
  const withQueue = targets.filter((name) => deps.syncQueues.has(name));
  const request = {
    repo: configRepo.url,
    branch: configRepo.branch,
    revision: push.after,
    pushedAt: (push.pushedAt ?? now).toISOString(),
    deliveryId,
  };
  try {
    // In parallel: GitHub gives a delivery 10 seconds, and each cluster's queue is independent.
    await Promise.all([
      ...withQueue.map((name) => deps.syncQueues.get(name)!.send(request)),
      // Any file can be a render's input (a values file, a base), so every push to the branch goes to the hydrator;
      // it renders only the targets whose inputs changed.
      ...(deps.hydrateQueue ? [deps.hydrateQueue.send({ kind: 'push', ...request })] : []),
    ]);
  } catch (e) {
    await deps.deliveries.release(deliveryId).catch(() => undefined);
    await deps.pushes.release(pushId).catch(() => undefined);
    throw new Error(`Sending the sync request for ${push.after} failed; redeliver ${deliveryId} once SQS answers`, {
      cause: e,
    });
  }
  await deps.deliveries.complete(deliveryId, { revision: push.after, clusters: withQueue });
  await deps.pushes.complete(pushId, { deliveryId, clusters: withQueue });
  return {
    kind: 'synced',
    deliveryId,
    revision: push.after,
    clusters: withQueue,
    withoutQueue: targets.filter((name) => !deps.syncQueues.has(name)),
    ...(deps.hydrateQueue ? { hydrating: true } : {}),
  };
}

/**
 * A verified `pull_request` delivery: opened, pushed to or reopened, to the configured repo and branch, goes to the
 * hydrator's queue once (claimed like a push). Without a hydrator, or for other actions, it is acknowledged and ignored.
 */
async function previewPullRequest(
  payload: unknown,
  headers: Headers,
  deps: WebhookDependencies,
): Promise<WebhookOutcome> {
  const parsed = parsePullRequest(payload);
  if (parsed.kind === 'invalid')
    return { kind: 'bad-request', reason: `not a github pull_request payload: ${parsed.reason}` };
  if (parsed.kind === 'not-previewed') return { kind: 'ignored', reason: parsed.reason };
  const pr = parsed.pullRequest;
  const { configRepo } = deps.config;
  if (!pr.repoUrls.some((url) => sameRepo(url, configRepo.url))) {
    return { kind: 'ignored', reason: `pull request to ${pr.repoUrls[0] ?? 'another repo'}, not ${configRepo.url}` };
  }
  if (pr.base.branch !== configRepo.branch) {
    return { kind: 'ignored', reason: `pull request to ${pr.base.branch}; only ${configRepo.branch} is rendered` };
  }
  if (!deps.hydrateQueue)
    return { kind: 'ignored', reason: 'no hydrator is deployed, so pull requests are not previewed' };
  const deliveryId = headers['x-github-delivery'] ?? `github:pr-${pr.number}:${pr.head.sha}`;
  if (!deliveryIdPattern.test(deliveryId)) {
    return { kind: 'bad-request', reason: `x-github-delivery '${deliveryId.slice(0, 60)}' is not a delivery id` };
  }
  if (!(await deps.deliveries.claim(deliveryId, deps.remainingTimeInMillis?.())))
    return { kind: 'duplicate', deliveryId, of: 'delivery' };
  try {
    await deps.hydrateQueue.send({
      kind: 'preview',
      repo: configRepo.url,
      number: pr.number,
      base: pr.base,
      head: pr.head,
      deliveryId,
    });
  } catch (e) {
    await deps.deliveries.release(deliveryId).catch(() => undefined);
    throw new Error(
      `Sending the preview of pull request #${pr.number} failed; redeliver ${deliveryId} once SQS answers`,
      { cause: e },
    );
  }
  await deps.deliveries.complete(deliveryId, { revision: pr.head.sha, clusters: [] });
  return { kind: 'previewing', deliveryId, number: pr.number, head: pr.head.sha };
}

/** The HTTP answer for an outcome: 2xx for everything GitHub should consider delivered, 4xx for bad input. */
export function responseFor(outcome: WebhookOutcome): { statusCode: number; body: string } {
  const reply = (statusCode: number, body: Record<string, unknown>) => ({ statusCode, body: JSON.stringify(body) });
  switch (outcome.kind) {
    case 'method-not-allowed':
      return reply(405, { message: `${outcome.method} is not allowed; webhooks are delivered with POST` });
    case 'too-large':
      return reply(413, { message: `the body has ${outcome.bytes} bytes; at most ${maxBodyBytes} are accepted` });
    case 'unauthenticated':
      return reply(401, { message: outcome.reason });
    case 'bad-request':
      return reply(400, { message: outcome.reason });
    case 'pong':
      return reply(200, { message: 'pong' });
    case 'ignored':
      return reply(202, { message: `ignored: ${outcome.reason}` });
    case 'duplicate':
      return reply(200, {
        message:
          outcome.of === 'delivery'
            ? `delivery ${outcome.deliveryId} was already handled`
            : `the push of ${outcome.revision} was already handled in the last minutes (a replay under a new delivery id)`,
      });
    case 'previewing':
      return reply(200, { message: `previewing pull request #${outcome.number} at ${outcome.head}` });
    case 'synced':
      return reply(200, {
        message: `asked ${outcome.clusters.length} cluster(s) to sync ${outcome.revision}`,
        clusters: outcome.clusters,
        ...(outcome.withoutQueue.length > 0 && { withoutQueue: outcome.withoutQueue }),
      });
  }
}

/**
 * Header names lower-cased, as Function URLs deliver them. Should one name still arrive in two spellings, the values
 * are joined with a comma as HTTP joins repeated headers, so two signatures never verify as one.
 */
function lowerCased(headers: Record<string, string | undefined>): Headers {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

/**
 * The body as the exact text the sender signed, or undefined when it is not valid UTF-8: the signature library
 * hashes the UTF-8 encoding of a string, so a body that does not round-trip could verify as different bytes.
 */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function wellFormed(text: string): string | undefined {
  return text.isWellFormed() ? text : undefined;
}

/** GitHub can deliver JSON or, when the hook is configured so, a form with the JSON in its `payload` field. */
function parsePayload(
  rawBody: string,
  contentType: string | undefined,
): { kind: 'json'; value: unknown } | { kind: 'invalid'; reason: string } {
  const form = contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded');
  const text = form ? new URLSearchParams(rawBody).get('payload') : rawBody;
  if (text === null) return { kind: 'invalid', reason: 'the form has no payload field' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch (e) {
    return { kind: 'invalid', reason: `the payload is not JSON (${(e as Error).message})` };
  }
}

function eventHeader(provider: WebhookProvider): string {
  return provider === 'github' ? 'X-GitHub-Event' : 'X-Gitlab-Event';
}

function deliveryHeader(provider: WebhookProvider): 'x-github-delivery' | 'x-gitlab-event-uuid' {
  return provider === 'github' ? 'x-github-delivery' : 'x-gitlab-event-uuid';
}
