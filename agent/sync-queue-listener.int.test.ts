import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { SyncQueue } from '../adapters/sync-queue/sync-queue';
import type { SyncRequest } from '../adapters/sync-queue/sync-request';
import type { SyncOutcome } from '../core/sync/sync-outcome';
import { createScratchQueue, type ScratchQueue } from '../local/invoke';
import { eventually } from '../test/support/eventually';
import type { SyncMatch } from './sync-controller';
import { SyncQueueListener, type SyncReconciler } from './sync-queue-listener';

// The queue is real (moto, with a redrive policy); the reconciler is a recording stand-in for the agent's controller,
// so these tests pin the listener's own rules. The end-to-end test with the real agent is webhook-to-agent.int.test.ts.
const logger = new Logger({ serviceName: 'sync-queue-listener-test', logLevel: 'ERROR' });
const repo = 'http://127.0.0.1:9/config.git';
const queues: ScratchQueue[] = [];
afterAll(async () => {
  for (const q of queues) await q.delete();
});

function request(revision: string, overrides: Partial<SyncRequest> = {}): SyncRequest {
  return {
    repo,
    branch: 'main',
    revision,
    pushedAt: new Date().toISOString(),
    deliveryId: `d-${revision}`,
    ...overrides,
  };
}

/** Syncs that hold `applied` and move to the head revision when reconciled; `fail` makes every reconcile throw. */
function recordingReconciler(applied: string | undefined, options: { fail?: boolean; syncs?: number } = {}) {
  const calls: SyncMatch[] = [];
  let current = applied;
  const reconciler: SyncReconciler & { calls: SyncMatch[]; head?: string } = {
    calls,
    async appliedRevisions() {
      return Array.from({ length: options.syncs ?? 1 }, () => current);
    },
    async reconcileNow(match) {
      calls.push(match);
      if (options.fail) throw new Error('the API server went away');
      current = reconciler.head;
      return [{ kind: 'fetch-failed', revision: reconciler.head, message: 'not applied in this test' } as SyncOutcome];
    },
  };
  return reconciler;
}

async function listenerOn(reconciler: SyncReconciler, maxReceiveCount = 3) {
  const q = await createScratchQueue('listener-test', { maxReceiveCount });
  queues.push(q);
  const queue = new SyncQueue(q.url);
  const listener = new SyncQueueListener(queue, reconciler, logger, {
    waitTimeSeconds: 1,
    visibilityTimeoutSeconds: 1,
  });
  return { q, queue, listener };
}

describe('SyncQueueListener', () => {
  it('coalesces a burst of pushes to one repo and branch into one reconcile, then deletes them', async () => {
    const reconciler = recordingReconciler('0000001');
    reconciler.head = '0000004';
    const { queue, listener } = await listenerOn(reconciler);
    for (const r of ['0000002', '0000003', '0000004']) await queue.send(request(r));
    const batch = await listener.pollOnce();
    expect(batch.received).toBe(3);
    expect(reconciler.calls).toEqual([{ url: repo, branch: 'main' }]);
    expect(batch.reconciles[0]?.revisions).toEqual(['0000002', '0000003', '0000004']);
    expect((await listener.pollOnce()).received).toBe(0);
  });

  it('reconciles each repo and branch of a batch separately', async () => {
    const reconciler = recordingReconciler('0000001');
    const { queue, listener } = await listenerOn(reconciler);
    await queue.send(request('0000002'));
    await queue.send(request('0000003', { branch: 'release' }));
    await queue.send(request('0000004', { repo: 'http://127.0.0.1:9/config' }));
    await listener.pollOnce();
    expect(reconciler.calls).toEqual([
      { url: repo, branch: 'main' },
      { url: repo, branch: 'release' },
    ]);
  });

  it('drops a message for the revision every matching Sync has already applied', async () => {
    const reconciler = recordingReconciler('00000aa', { syncs: 2 });
    const { queue, listener } = await listenerOn(reconciler);
    await queue.send(request('00000aa'));
    const batch = await listener.pollOnce();
    expect(batch).toMatchObject({ received: 1, dropped: 1, reconciles: [] });
    expect(reconciler.calls).toEqual([]);
    expect((await listener.pollOnce()).received).toBe(0);
  });

  it('drops a message no Sync follows', async () => {
    const reconciler = recordingReconciler(undefined, { syncs: 0 });
    const { queue, listener } = await listenerOn(reconciler);
    await queue.send(request('00000bb'));
    expect(await listener.pollOnce()).toMatchObject({ dropped: 1, reconciles: [] });
  });

  it('keeps a message whose reconcile failed, so it comes back, and lets it reach the DLQ after maxReceiveCount', async () => {
    const reconciler = recordingReconciler('0000001', { fail: true });
    const { q, queue, listener } = await listenerOn(reconciler, 2);
    await queue.send(request('00000cc'));
    expect(await listener.pollOnce()).toMatchObject({ received: 1, kept: 1 });
    // Visibility timeout is 1 s here: the message comes back for a second (last) try, then moves to the DLQ.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await listener.pollOnce()).toMatchObject({ received: 1, kept: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await listener.pollOnce()).received).toBe(0);
    expect((await q.deadLetters(2)).map((body) => JSON.parse(body).revision)).toEqual(['00000cc']);
  });

  it('sends a message that is not a SyncRequest to the DLQ without reconciling', async () => {
    const reconciler = recordingReconciler('0000001');
    const { q, listener } = await listenerOn(reconciler, 2);
    await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: '{"revision":"nope"}' }));
    for (let i = 0; i < 3; i++) await listener.pollOnce();
    expect(reconciler.calls).toEqual([]);
    expect(await q.deadLetters(2)).toEqual(['{"revision":"nope"}']);
  });

  it('keeps a message hidden while its reconcile outlasts the visibility timeout, so no second receive takes it', async () => {
    const q = await createScratchQueue('listener-test');
    queues.push(q);
    const queue = new SyncQueue(q.url);
    let release: () => void = () => {};
    const reconciler: SyncReconciler = {
      appliedRevisions: async () => ['0000001'],
      reconcileNow: () => new Promise<SyncOutcome[]>((resolve) => (release = () => resolve([]))),
    };
    const listener = new SyncQueueListener(queue, reconciler, logger, {
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 2,
    });
    await queue.send(request('00000dd'));
    const handling = listener.pollOnce();
    // Three seconds in, past the 2 s visibility timeout: without the heartbeat the message would be visible again.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await queue.receive({ waitTimeSeconds: 0 })).toEqual([]);
    release();
    expect((await handling).reconciles).toHaveLength(1);
    expect(await q.depth()).toBe(0);
  });

  it('stops promptly while a long poll is waiting', async () => {
    const { q } = await listenerOn(recordingReconciler('0000001'));
    const listener = new SyncQueueListener(new SyncQueue(q.url), recordingReconciler('0000001'), logger, {
      waitTimeSeconds: 20,
    });
    listener.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = listener.stop();
    await expect(
      Promise.race([stopping.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still polling'), 5000))]),
    ).resolves.toBe('stopped');
  });

  it('keeps receiving while one repo’s reconcile hangs: a push to another repo is reconciled and deleted at once', async () => {
    const q = await createScratchQueue('listener-test');
    queues.push(q);
    const queue = new SyncQueue(q.url);
    const other = 'http://127.0.0.1:9/other.git';
    const reconciled: string[] = [];
    let release: () => void = () => {};
    const hung = new Promise<void>((resolve) => (release = resolve));
    const reconciler: SyncReconciler = {
      appliedRevisions: async () => ['0000001'],
      async reconcileNow(match) {
        if (match.url === repo) await hung; // a Sync whose git server accepts connections and never answers
        reconciled.push(match.url);
        return [];
      },
    };
    const listener = new SyncQueueListener(queue, reconciler, logger, { waitTimeSeconds: 1 });
    listener.start();
    await queue.send(request('00000e1'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await queue.send(request('00000e2', { repo: other }));
    try {
      await eventually(async () => reconciled.includes(other), 5000);
      // Only the hung repo's message is still in hand (hidden): the other one is deleted once its reconcile returned.
      await eventually(async () => (await q.depth()) === 1, 5000, 'only the hung message left');
    } finally {
      release();
      await listener.stop();
    }
    expect(reconciled).toEqual([other, repo]);
  });

  it('hands back at once the messages whose reconcile ends after stop, instead of deleting them', async () => {
    const q = await createScratchQueue('listener-test');
    queues.push(q);
    const queue = new SyncQueue(q.url);
    let release: (() => void) | undefined;
    const reconciler: SyncReconciler = {
      appliedRevisions: async () => ['0000001'],
      reconcileNow: () => new Promise<SyncOutcome[]>((resolve) => (release = () => resolve([]))),
    };
    const listener = new SyncQueueListener(queue, reconciler, logger, { waitTimeSeconds: 1 });
    listener.start();
    await queue.send(request('00000e3'));
    await eventually(async () => release !== undefined);
    const stopping = listener.stop();
    release?.();
    await stopping;
    const again = await queue.receive({ waitTimeSeconds: 5 });
    expect(again.map((m) => m.kind === 'request' && m.request.revision)).toEqual(['00000e3']);
  });

  it('a message taken by a long poll that stop() aborted is back on the queue within seconds, not after the visibility timeout', async () => {
    const q = await createScratchQueue('listener-test');
    queues.push(q);
    const queue = new SyncQueue(q.url);
    const listener = new SyncQueueListener(queue, recordingReconciler('0000001'), logger, { waitTimeSeconds: 20 });
    listener.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await listener.stop();
    // SQS (and moto) keep an abandoned long poll open on their side: this message goes to it, and nobody reads it.
    await queue.send(request('00000e4'));
    const started = Date.now();
    const back = await eventually(async () => {
      const got = await queue.receive({ waitTimeSeconds: 5 });
      return got.length > 0 ? got : undefined;
    }, 30_000);
    expect(back.map((m) => m.kind === 'request' && m.request.revision)).toEqual(['00000e4']);
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});
