import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventsQueue, messageGroupOf } from '../../adapters/events/events-queue';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { type DeploymentEvent, type DeploymentEventInput, deploymentEvent } from '../../core/notify/deployment-event';
import { createScratchQueue, runQueueOnce, type ScratchQueue } from '../../local/invoke';
import { eventually } from '../../test/support/eventually';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { testChannels } from './notifier-test-channels';

// The notifier's handler as Lambda runs it: SQS batches from a FIFO events queue of this file's own (one message
// group per Sync, as the agent sends) and from a flush queue of its own, played by runQueueOnce against moto; state
// in the State table; Slack, SNS and EventBridge read back as their subscribers see them.

const cluster = uniqueName('handler');
const R1 = 'a1'.repeat(20);
const R2 = 'b2'.repeat(20);
let channels: Awaited<ReturnType<typeof testChannels>>;
let events: ScratchQueue;
let flush: ScratchQueue;
let deadLetters: ScratchQueue;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let clock = 0;

function event(kind: DeploymentEvent['kind'], sync: string, overrides: Partial<DeploymentEventInput> = {}) {
  clock += 1000;
  return deploymentEvent({
    at: new Date(Date.now() + clock).toISOString(),
    cluster,
    sync: { namespace: 'shop', name: sync },
    repo: 'https://git.example.com/acme/config.git',
    revision: R1,
    subject: 'Update web to 1.2.0',
    kind,
    reason: kind === 'failed' ? 'RenderFailed' : 'ReconciliationSucceeded',
    message:
      kind === 'failed'
        ? 'web.yaml (document 0): is not valid YAML at line 3, column 1. Fix the YAML syntax'
        : 'Applied',
    ...overrides,
  });
}

const run = (queue: ScratchQueue) =>
  runQueueOnce({ queueUrl: queue.url, handler, functionName: 'notifier', waitTimeSeconds: 2, releaseFailed: true });

beforeAll(async () => {
  channels = await testChannels(cluster);
  events = await createScratchQueue('notifier-events', { fifo: true, maxReceiveCount: 2 });
  flush = await createScratchQueue('notifier-flush');
  deadLetters = await createScratchQueue('notifier-rejected', { fifo: true });
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: {
      provider: 'git',
      url: 'https://git.example.com/acme/config.git',
      authSecretName: 'tidemark/config-repo',
    },
    clusters: [{ name: cluster, eksClusterName: 'local', region: 'us-east-1', path: 'clusters/x' }],
    images: { ecrRepositories: ['web'] },
    notifications: { foldSeconds: 1, routes: [{ channels: ['sns', { slack: channels.slackSecret }] }] },
  });
  process.env.TIDEMARK_FLUSH_QUEUE_URL = flush.url;
  process.env.TIDEMARK_EVENTS_DLQ_URL = deadLetters.url;
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true'; // EMF lines would only bury the test output
  ({ handler } = await import('./handler'));
});

describe('notifier handler', () => {
  it('handles a Sync delivered twice by SQS once: one message per channel', async () => {
    const deployed = event('deployed', 'web');
    const sqs = new SQSClient({});
    // The same event twice, as at-least-once delivery (or an agent that retried a send) may hand it over.
    for (const dedupe of ['first', 'second']) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: events.url,
          MessageBody: JSON.stringify(deployed),
          MessageGroupId: messageGroupOf(deployed),
          MessageDeduplicationId: `${deployed.id}-${dedupe}`,
        }),
      );
    }
    const batch = await run(events);
    expect(batch.failed).toEqual([]);
    if (batch.received < 2) await run(events);
    expect((await channels.slack()).map((m) => m.text)).toEqual([
      `🚀 ${cluster}: shop/web deployed a1a1a1a: Update web to 1.2.0`,
    ]);
    const sns = await eventually(async () => (await channels.sns()).length > 0 && channels.sns());
    const bus = await eventually(async () => (await channels.bus()).length > 0 && channels.bus());
    await new Promise((r) => setTimeout(r, 1000));
    expect((await channels.sns()).length).toBe(1);
    expect((await channels.bus()).length).toBe(1);
    expect(sns[0]!.subject).toBe(`Tidemark: ${cluster}: shop/web deployed a1a1a1a: Update web to 1.2.0`);
    expect(bus[0]).toMatchObject({ id: deployed.id, kind: 'deployed', revision: R1, sync: { name: 'web' } });
  });

  it('sends a malformed event to the dead-letter queue with its reason, and holds back nothing behind it', async () => {
    const good = event('deployed', 'api');
    const sqs = new SQSClient({});
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: events.url,
        MessageBody: JSON.stringify({ ...good, kind: 'exploded' }),
        MessageGroupId: messageGroupOf(good),
        MessageDeduplicationId: 'malformed',
      }),
    );
    await new EventsQueue(events.url).send([good]);
    const batch = await run(events);
    expect(batch.failed).toEqual([]);
    if (batch.received < 2) await run(events);
    const rejected = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetters.url, MessageAttributeNames: ['All'], WaitTimeSeconds: 2 }),
    );
    expect(rejected.Messages?.[0]?.MessageAttributes?.reason?.StringValue).toMatch(/^not a deployment event: kind: /);
    expect((await channels.slack()).map((m) => m.text)).toContain(
      `🚀 ${cluster}: shop/api deployed a1a1a1a: Update web to 1.2.0`,
    );
  });

  it('gathers a failure for the fold time, through its flush queue, then alerts once naming file and line', async () => {
    const before = (await channels.slack()).length;
    await new EventsQueue(events.url).send([
      event('failed', 'web', { revision: R2, location: { file: 'web.yaml', line: 3 } }),
    ]);
    expect((await run(events)).failed).toEqual([]);
    expect((await channels.slack()).length).toBe(before);
    // The flush queue delays its message by the fold time (1 s here).
    await eventually(async () => (await run(flush)).received > 0, 15_000, 'the flush');
    const alert = (await channels.slack()).slice(before);
    expect(alert.map((m) => m.text)).toEqual([`❌ ${cluster}: shop/web failed (RenderFailed)`]);
    expect(JSON.stringify(alert[0]!.blocks)).toContain('In web.yaml, line 3.');
  });

  it('never lets a credential in an event reach a channel or the State table', async () => {
    const sqs = new SQSClient({});
    const hostile = {
      ...event('failed', 'db'),
      repo: 'https://deploy:ghp_0123456789abcdefghijklmnopqrstuvwxyz@github.com/acme/config.git',
      message: "fatal: unable to access 'https://deploy:hunter2pass@github.com/acme/config.git/': token=abc123secret",
      reason: 'FetchFailed',
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: events.url,
        MessageBody: JSON.stringify(hostile),
        MessageGroupId: messageGroupOf(hostile),
        MessageDeduplicationId: 'hostile',
      }),
    );
    expect((await run(events)).failed).toEqual([]);
    await eventually(async () => (await run(flush)).received > 0, 15_000, 'the flush');
    const record = await new VersionedItems(localEnv().resources.tableName).get(`deploy-sync#${cluster}#shop/db`);
    await eventually(async () => (await channels.bus()).some((e) => e.sync.name === 'db'));
    const everything = JSON.stringify([await channels.slack(), await channels.sns(), await channels.bus(), record]);
    expect(everything).toContain('cannot fetch from github.com');
    for (const secret of ['ghp_0123456789abcdefghijklmnopqrstuvwxyz', 'hunter2pass', 'abc123secret']) {
      expect(everything).not.toContain(secret);
    }
  });
});
