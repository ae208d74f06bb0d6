import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchQueue } from '../../local/invoke';
import { SyncQueue } from './sync-queue';
import type { SyncRequest } from './sync-request';

const request = (revision: string, deliveryId = `delivery-${revision}`): SyncRequest => ({
  repo: 'http://127.0.0.1/config.git',
  branch: 'main',
  revision,
  pushedAt: new Date().toISOString(),
  deliveryId,
});

describe('SyncQueue on moto', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  const scratch = async (options: Parameters<typeof createScratchQueue>[1] = {}) => {
    const q = await createScratchQueue('sync-queue-test', options);
    cleanups.push(q.delete);
    return q;
  };

  it('delivers what was sent, parsed, and forgets it once deleted', async () => {
    const q = await scratch();
    const queue = new SyncQueue(q.url);
    await queue.send(request('aaaaaaa'));
    await queue.send(request('bbbbbbb'));
    const received = await queue.receive({ waitTimeSeconds: 2 });
    expect(received.map((r) => r.kind === 'request' && r.request.revision).sort()).toEqual(['aaaaaaa', 'bbbbbbb']);
    expect(await queue.delete(received.map((r) => r.receipt))).toEqual([]);
    expect(await queue.receive({ waitTimeSeconds: 1 })).toEqual([]);
  });

  it('drops a redelivered event on a FIFO queue (same delivery id and revision)', async () => {
    const q = await scratch({ fifo: true });
    const queue = new SyncQueue(q.url);
    expect(queue.fifo).toBe(true);
    await queue.send(request('ccccccc', 'github-delivery-1'));
    await queue.send(request('ccccccc', 'github-delivery-1'));
    await queue.send(request('ddddddd', 'github-delivery-2'));
    const received = await queue.receive({ waitTimeSeconds: 2 });
    expect(received.map((r) => r.kind === 'request' && r.request.deliveryId)).toEqual([
      'github-delivery-1',
      'github-delivery-2',
    ]);
  });

  it('reports a message that is not a SyncRequest as malformed, with the reason', async () => {
    const q = await scratch();
    await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: '{"repo":"x"}' }));
    await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'not json' }));
    const received = await new SyncQueue(q.url).receive({ waitTimeSeconds: 2 });
    expect(received.map((r) => r.kind === 'malformed' && r.reason).sort()).toEqual([
      'body is not JSON',
      expect.stringMatching(/^branch: /),
    ]);
  });

  it('hands a message back with visibility 0, counts the receive, and moves it to the DLQ past maxReceiveCount', async () => {
    const q = await scratch({ maxReceiveCount: 2 });
    const queue = new SyncQueue(q.url);
    await queue.send(request('eeeeeee'));
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      for (const r of await queue.receive({ waitTimeSeconds: 1 })) {
        counts.push(r.receipt.receiveCount);
        await queue.setVisibility(r.receipt, 0);
      }
    }
    expect(counts).toEqual([1, 2]);
    const dead = await q.deadLetters();
    expect(dead.map((body) => JSON.parse(body).revision)).toEqual(['eeeeeee']);
  });
});
