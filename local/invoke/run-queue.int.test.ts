import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { createScratchQueue, drainQueue, runQueueOnce } from './index';

const sqs = new SQSClient({});
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function queueWith(bodies: string[], options: Parameters<typeof createScratchQueue>[1] = {}) {
  const q = await createScratchQueue('run-queue-test', options);
  cleanups.push(q.delete);
  for (const [i, body] of bodies.entries()) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: q.url,
        MessageBody: body,
        ...(options.fifo && { MessageGroupId: `group-${i}`, MessageDeduplicationId: `dedup-${i}` }),
      }),
    );
  }
  return q;
}

describe('runQueueOnce', () => {
  it('invokes the handler with the queue’s real records (FIFO attributes included) and deletes them on success', async () => {
    const q = await queueWith(['one', 'two'], { fifo: true });
    let seen: SQSEvent | undefined;
    const run = await runQueueOnce({
      queueUrl: q.url,
      handler: async (event) => {
        seen = event;
      },
    });
    expect(run).toMatchObject({ received: 2, failed: [] });
    expect(seen?.Records.map((r) => [r.body, r.attributes.MessageGroupId, r.eventSourceARN])).toEqual([
      ['one', 'group-0', q.arn],
      ['two', 'group-1', q.arn],
    ]);
    expect(seen?.Records[0]?.attributes.MessageDeduplicationId).toBe('dedup-0');
    expect((await runQueueOnce({ queueUrl: q.url, handler: async () => undefined })).received).toBe(0);
  });

  it('keeps the records the handler reported in batchItemFailures and deletes the rest', async () => {
    const q = await queueWith(['good', 'poison', 'good too']);
    const run = await runQueueOnce({
      queueUrl: q.url,
      releaseFailed: true,
      handler: async (event) => ({
        batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      }),
    });
    expect(run.deleted).toHaveLength(2);
    expect(run.failed).toHaveLength(1);
    const again = await runQueueOnce({ queueUrl: q.url, handler: async () => undefined });
    expect(again).toMatchObject({ received: 1, deleted: run.failed });
  });

  it('keeps the whole batch when the handler throws, as Lambda does', async () => {
    const q = await queueWith(['a', 'b']);
    const run = await runQueueOnce({
      queueUrl: q.url,
      releaseFailed: true,
      handler: async () => {
        throw new Error('boom');
      },
    });
    expect(run).toMatchObject({ received: 2, deleted: [], error: new Error('boom') });
  });

  it('lets a message that keeps failing reach the dead-letter queue after maxReceiveCount receives', async () => {
    const q = await queueWith(['always fails'], { maxReceiveCount: 3 });
    const runs = await drainQueue({
      queueUrl: q.url,
      releaseFailed: true,
      maxBatches: 10,
      handler: async (event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }),
    });
    expect(runs).toHaveLength(3);
    expect(await q.deadLetters()).toEqual(['always fails']);
  });
});
