import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsQueue } from '../adapters/events/events-queue';
import { type DeploymentEvent, deploymentEvent } from '../core/notify/deployment-event';
import { createScratchQueue, type ScratchQueue } from '../local/invoke';
import { eventually } from '../test/support/eventually';
import { localEnv } from '../test/support/local-env';
import { EventPublisher } from './event-publisher';

// The publisher against a real FIFO queue in moto. A slow or unreachable queue is a real HTTP proxy in front of moto
// that, while "down", accepts connections and never answers; "up", it forwards to moto.

let queue: ScratchQueue;
let proxy: Server;
let proxyUrl: string;
let down = true;

function event(i: number): DeploymentEvent {
  return deploymentEvent({
    at: new Date(Date.UTC(2026, 10, 25, 10, 0, i)).toISOString(),
    cluster: 'dev',
    sync: { namespace: 'tidemark-system', name: 'web' },
    repo: 'https://git.example.com/config.git',
    revision: String(i).repeat(40).slice(0, 40),
    kind: 'deployed',
    reason: 'ReconciliationSucceeded',
  });
}

async function received(): Promise<DeploymentEvent[]> {
  const sqs = new SQSClient({});
  const out: DeploymentEvent[] = [];
  for (;;) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (!r.Messages?.length) return out;
    out.push(...r.Messages.map((m) => JSON.parse(m.Body!) as DeploymentEvent));
    // Deleted, since a FIFO queue holds back a message group while any of its messages is in flight.
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

beforeAll(async () => {
  queue = await createScratchQueue('publisher', { fifo: true });
  const target = localEnv().aws.endpoint;
  proxy = createServer(async (req, res) => {
    if (down) return; // accept, then say nothing: the queue is slow beyond any timeout
    let body = '';
    for await (const chunk of req) body += chunk;
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: Object.fromEntries(
        Object.entries(req.headers)
          .filter(([k]) => k !== 'host')
          .map(([k, v]) => [k, String(v)]),
      ),
      body: body || undefined,
    });
    res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(() => {
  proxy.closeAllConnections();
  proxy.close();
});

describe('EventPublisher', () => {
  it('sends events to the events queue in order, each once', async () => {
    const publisher = new EventPublisher(new EventsQueue(queue.url));
    publisher.publish(event(1), event(2));
    publisher.publish(event(3));
    await eventually(async () => publisher.pending === 0);
    expect((await received()).map((e) => e.revision?.slice(0, 1))).toEqual(['1', '2', '3']);
  });

  it('never makes a reconcile wait on a queue that does not answer, and delivers once it does', async () => {
    down = true;
    const failures: string[] = [];
    const publisher = new EventPublisher(
      new EventsQueue(queue.url, new SQSClient({ endpoint: proxyUrl, maxAttempts: 1 })),
      {
        sendTimeoutMs: 300,
        backoffMs: 100,
        maxBackoffMs: 400,
        onSendFailed: (error) => failures.push(error.message),
      },
    );
    const started = performance.now();
    for (let i = 4; i <= 6; i++) publisher.publish(event(i));
    expect(performance.now() - started).toBeLessThan(50);
    await eventually(async () => failures.length >= 2, 10_000, 'two timed-out sends');
    expect(publisher.pending).toBe(3);
    expect(failures[0]).toBe('the events queue did not answer within 300 ms');
    down = false;
    await eventually(async () => publisher.pending === 0, 20_000, 'the delivery once the queue answers');
    // A send that timed out may have reached the queue; the FIFO queue keeps one copy per event id.
    expect((await received()).map((e) => e.revision?.slice(0, 1))).toEqual(['4', '5', '6']);
  });

  it('keeps at most maxBuffered events, dropping the oldest, and gives up at the stop deadline', async () => {
    down = true;
    const dropped: DeploymentEvent[] = [];
    const publisher = new EventPublisher(
      new EventsQueue(queue.url, new SQSClient({ endpoint: proxyUrl, maxAttempts: 1 })),
      {
        maxBuffered: 2,
        sendTimeoutMs: 200,
        onDropped: (e) => dropped.push(e),
      },
    );
    publisher.publish(event(7), event(8), event(9));
    expect(dropped.map((e) => e.revision?.slice(0, 1))).toEqual(['7']);
    const started = Date.now();
    expect(await publisher.stop(500)).toBe(2);
    expect(Date.now() - started).toBeLessThan(2000);
    down = false;
  });
});
