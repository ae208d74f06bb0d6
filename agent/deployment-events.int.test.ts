import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import type { DeploymentEvent } from '../core/notify/deployment-event';
import { requestedAtAnnotation } from '../core/sync/ownership';
import { syncApiVersion, syncKind } from '../core/sync/sync';
import { testChannels } from '../functions/notifier/notifier-test-channels';
import { gitServer } from '../local/git-server';
import { createScratchQueue, drainQueue, runQueueOnce, type ScratchQueue } from '../local/invoke';
import { configMapYaml, createSync, eventually, installSyncCrd, readyAt } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';
import { localEnv, uniqueName } from '../test/support/local-env';
import { type RunningAgent, startAgent } from './run-agent';

// The agent's deployment events end to end on the local environment: the real agent (in this worker) reconciling
// Syncs on the real API server from the real git server, publishing to a FIFO events queue of this file's own in moto,
// and the notifier's handler consuming it as Lambda would, into Slack (the local receiver) and SNS.

const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const clusterName = uniqueName('ev');
let agent: RunningAgent;
let ns: string;
let events: ScratchQueue;
let flush: ScratchQueue;
let channels: Awaited<ReturnType<typeof testChannels>>;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const seen: DeploymentEvent[] = [];

/** What the agent published since the last call, read off the events queue (and deleted, as the notifier would). */
async function published(): Promise<DeploymentEvent[]> {
  const sqs = new SQSClient({});
  const out: DeploymentEvent[] = [];
  for (;;) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: events.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (!r.Messages?.length) break;
    out.push(...r.Messages.map((m) => JSON.parse(m.Body!) as DeploymentEvent));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: events.url,
        Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  seen.push(...out);
  return out;
}

/** Waits until the agent has published an event of `sync` matching `kind`, and returns it. */
function eventOf(sync: string, kind: DeploymentEvent['kind'], timeoutMs = 60_000) {
  return eventually(
    async () => {
      await published();
      return seen.find((e) => e.sync.name === sync && e.kind === kind);
    },
    timeoutMs,
    `a ${kind} event of ${sync}`,
  );
}

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('events');
  events = await createScratchQueue('agent-events', { fifo: true });
  flush = await createScratchQueue('agent-flush');
  channels = await testChannels(clusterName);
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: ns,
    events: { queueUrl: events.url, cluster: clusterName },
  });
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: { provider: 'git', url: 'https://git.example.com/x.git', authSecretName: 'tidemark/config-repo' },
    clusters: [{ name: clusterName, eksClusterName: 'local', region: 'us-east-1', path: 'x' }],
    images: { ecrRepositories: ['web'] },
    // Failures and what follows them only: the 20 first deploys below are no news here.
    notifications: {
      foldSeconds: 3,
      routes: [{ minSeverity: 'warning', channels: ['sns', { slack: channels.slackSecret }] }],
    },
  });
  process.env.TIDEMARK_FLUSH_QUEUE_URL = flush.url;
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true'; // EMF lines would only bury the test output
  ({ handler } = await import('../functions/notifier/handler'));
});

afterAll(async () => {
  await agent?.stop();
  cluster.close();
});

describe('deployment events from the agent', () => {
  it('reports a deploy with its subject, images and health, a broken commit naming file and line, and the fix', async () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: 'registry.example.com/web:1.2.0' }] }
`;
    const repo = await createGitRepo('events-web', { 'apps/web.yaml': deployment });
    await createSync(cluster, ns, 'web', { url: repo.url, path: 'apps', interval: '1m' });
    const first = repo.head();
    await readyAt(cluster, ns, 'web', first);
    const deployed = await eventOf('web', 'deployed');
    expect(deployed).toMatchObject({
      cluster: clusterName,
      sync: { namespace: ns, name: 'web' },
      repo: repo.url,
      revision: first,
      subject: 'initial commit',
      reason: 'ReconciliationSucceeded',
      images: [{ name: 'registry.example.com/web:1.2.0', digest: null }],
      health: { current: 1, inProgress: 0, failed: 0 },
      changes: { created: 1, configured: 0, deleted: 0 },
    });
    const status = (await cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name: 'web' }))
      ?.status as { lastAppliedSubject?: string };
    expect(status.lastAppliedSubject).toBe('initial commit');

    const broken = repo.commit({ 'apps/web.yaml': `${deployment}  oops: [unclosed\n` }, 'Break web.yaml');
    await trigger('web');
    const failed = await eventOf('web', 'failed');
    expect(failed).toMatchObject({ revision: broken, subject: 'Break web.yaml', reason: 'RenderFailed' });
    expect(failed.location?.file).toBe('apps/web.yaml');
    expect(failed.location?.line).toBeGreaterThan(0);

    const fixed = repo.commit({ 'apps/web.yaml': deployment.replace('1.2.0', '1.2.1') }, 'Fix web.yaml, web 1.2.1');
    await trigger('web');
    await readyAt(cluster, ns, 'web', fixed);
    await eventually(async () => {
      await published();
      return seen.filter((e) => e.sync.name === 'web' && e.revision === fixed && e.kind === 'deployed').length > 0;
    });
    const after = seen.filter((e) => e.sync.name === 'web').map((e) => `${e.kind} ${e.revision?.slice(0, 7)}`);
    expect(after).toEqual([
      `deployed ${first.slice(0, 7)}`,
      `failed ${broken.slice(0, 7)}`,
      `recovered ${fixed.slice(0, 7)}`,
      `deployed ${fixed.slice(0, 7)}`,
    ]);
    expect(seen.find((e) => e.kind === 'recovered')?.previous).toMatchObject({
      kind: 'failed',
      reason: 'RenderFailed',
    });
  });

  it('reports a heal with the object and who changed it, and a suspend and a resume once each', async () => {
    const repo = await createGitRepo('events-heal', { 'apps/cm.yaml': configMapYaml(ns, 'settings', { mode: 'git' }) });
    await createSync(cluster, ns, 'heal', { url: repo.url, path: 'apps' });
    await readyAt(cluster, ns, 'heal', repo.head());
    execFileSync('kubectl', [
      '-n',
      ns,
      'patch',
      'configmap',
      'settings',
      '--type=merge',
      '-p',
      '{"data":{"mode":"hand"}}',
    ]);
    const healed = await eventOf('heal', 'healed');
    expect(healed.heal).toEqual({ object: `ConfigMap/${ns}/settings`, changedBy: 'kubectl-patch' });
    const ref = { apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name: 'heal' };
    await cluster.mergePatch(ref, { spec: { suspend: true } });
    await eventOf('heal', 'suspended');
    await cluster.mergePatch(ref, { spec: { suspend: false } });
    await eventOf('heal', 'resumed');
    await new Promise((r) => setTimeout(r, 2000));
    await published();
    const kinds = seen.filter((e) => e.sync.name === 'heal').map((e) => e.kind);
    expect(kinds).toEqual(['deployed', 'healed', 'suspended', 'resumed']);
  });

  it('sends at most two Slack messages when 20 Syncs fail at once because their git server is down', async () => {
    // A git server of this test's own, so stopping it disturbs no one else.
    const { username, password } = localEnv().git;
    const root = mkdtempSync(join(tmpdir(), 'events-git-'));
    let server: Server = await listen(gitServer({ root, username, password }), 0);
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}`;
    await fetch(`${url}/_admin/repos/shared`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    const repo = await createGitRepo('events-storm-seed', {});
    const files = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`apps/s${i}/cm.yaml`, configMapYaml(ns, `storm-${i}`, { n: String(i) })]),
    );
    repo.commit(files, 'Twenty apps');
    execFileSync('git', ['-C', join(root, 'shared.git'), 'fetch', '--quiet', repoFolder(repo.name), 'main:main']);
    const names = Array.from({ length: 20 }, (_, i) => `storm-${i}`);
    for (const [i, name] of names.entries()) {
      await createSync(cluster, ns, name, { url: `${url}/shared.git`, path: `apps/s${i}`, interval: '5m' });
    }
    await eventually(
      async () => {
        await published();
        return names.every((n) => seen.some((e) => e.sync.name === n && e.kind === 'deployed'));
      },
      120_000,
      'the 20 first deploys',
    );
    await notify();
    const before = (await channels.slack()).length;

    // The git server goes down: every Sync fails to fetch at its next reconcile.
    await close(server);
    for (const name of names) await trigger(name);
    await eventually(
      async () => {
        await published();
        return names.every((n) => seen.some((e) => e.sync.name === n && e.kind === 'failed'));
      },
      120_000,
      'the 20 failures',
    );
    await notify();
    await new Promise((r) => setTimeout(r, 3500)); // the fold time
    await notify();
    const failing = (await channels.slack()).slice(before).map((m) => m.text);
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatch(
      new RegExp(`^❌ ${clusterName}: 20 Syncs failing: cannot fetch from 127\\.0\\.0\\.1:${port}: .+`),
    );

    // It comes back: every Sync recovers at its next reconcile.
    server = await listen(gitServer({ root, username, password }), port);
    for (const name of names) await trigger(name);
    await eventually(
      async () => {
        await published();
        return names.every((n) => seen.some((e) => e.sync.name === n && e.kind === 'recovered'));
      },
      120_000,
      'the 20 recoveries',
    );
    await notify();
    const slack = (await channels.slack()).slice(before).map((m) => m.text);
    expect(slack).toHaveLength(2);
    expect(slack[1]).toMatch(
      new RegExp(`^✅ ${clusterName}: 20 Syncs recovered from: cannot fetch from 127\\.0\\.0\\.1:${port}`),
    );
    await close(server);
  }, 420_000);
});

/** Replays what the agent published (kept in `seen`) through the notifier's handler, then any due flush. */
let notified = 0;
async function notify(): Promise<void> {
  const { SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
  const { messageGroupOf } = await import('../adapters/events/events-queue');
  const fresh = seen.slice(notified);
  notified = seen.length;
  const sqs = new SQSClient({});
  // Into a notifier queue of its own, in the order the agent published them, as the events queue would deliver them.
  const queue = await notifierQueue();
  for (let i = 0; i < fresh.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: fresh.slice(i, i + 10).map((e, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(e),
          MessageGroupId: messageGroupOf(e),
          MessageDeduplicationId: e.id,
        })),
      }),
    );
  }
  const runs = await drainQueue({ queueUrl: queue.url, handler, functionName: 'notifier', maxBatches: 50 });
  expect(runs.flatMap((r) => r.failed)).toEqual([]);
  await runQueueOnce({ queueUrl: flush.url, handler, functionName: 'notifier', waitTimeSeconds: 1 });
}

let notifierQueueOf: ScratchQueue | undefined;
async function notifierQueue(): Promise<ScratchQueue> {
  notifierQueueOf ??= await createScratchQueue('agent-notifier', { fifo: true });
  return notifierQueueOf;
}

async function trigger(name: string): Promise<void> {
  await cluster.mergePatch(
    { apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name },
    { metadata: { annotations: { [requestedAtAnnotation]: new Date().toISOString() } } },
  );
}

function repoFolder(name: string): string {
  return join(localEnv().git.root, `${name}.git`);
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
