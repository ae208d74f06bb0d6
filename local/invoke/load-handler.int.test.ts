import { Console } from 'node:console';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventually } from '../../test/support/eventually';
import { lambdaContext } from './lambda-context';
import { loadHandler, withOutputTo } from './load-handler';
import { webhookDelivery } from './webhook-delivery';

type WebhookHandler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;

afterEach(() => vi.restoreAllMocks());

describe('loadHandler', () => {
  it("sends a handler's log lines and EMF metric lines to its log file, and none to this process's output", async () => {
    const printed: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
        printed.push(String(chunk));
        return write(chunk, ...rest);
      }) as typeof stream.write);
    }
    const { handler, logPath } = await loadHandler<WebhookHandler>('webhook', mkdtempSync(join(tmpdir(), 'fn-logs-')));
    // A forged delivery: the handler answers 401, logs why and counts it, as it would in Lambda.
    const forged = webhookDelivery({ event: 'push', payload: { ref: 'refs/heads/main' }, secret: 'not-the-secret' });
    expect((await handler(forged, lambdaContext('webhook'))).statusCode).toBe(401);

    const lines = await eventually(async () => {
      const text = readFileSync(logPath, 'utf8');
      const parsed = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return parsed.some((l) => '_aws' in l) ? parsed : undefined;
    });
    expect(lines.find((l) => l.service === 'webhook' && l.level === 'INFO')).toBeDefined();
    const emf = lines.find((l) => '_aws' in l) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
    expect(emf._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)).toEqual(['WebhookDeliveries']);
    expect(printed.filter((p) => p.includes('"_aws"') || p.includes('"service":"webhook"'))).toEqual([]);
  });

  it('keeps overlapping calls of two handlers apart: each writes to its own file, also after the first has ended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fn-logs-'));
    const gate = () => {
      let open: () => void = () => {};
      const opened = new Promise<void>((r) => {
        open = r;
      });
      return { open, opened };
    };
    const first = gate();
    const second = gate();
    // The demo's shape: the image updater's call starts, the notifier's starts, the image updater's ends first.
    const a = withOutputTo(join(dir, 'first.log'), async () => {
      await first.opened;
      process.stdout.write('first\n');
    });
    const b = withOutputTo(join(dir, 'second.log'), async () => {
      await second.opened;
      // A Console built now, as Powertools' singleMetric() builds one per call, needs a writable stream.
      new Console(process.stdout, process.stderr).log('second, after the first ended');
    });
    first.open();
    await a;
    second.open();
    await b;
    await eventually(async () => (readFileSync(join(dir, 'second.log'), 'utf8').includes('after') ? true : undefined));
    expect(readFileSync(join(dir, 'first.log'), 'utf8')).toBe('first\n');
    expect(readFileSync(join(dir, 'second.log'), 'utf8')).toBe('second, after the first ended\n');
  });
});
