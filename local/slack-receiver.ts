import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

/**
 * A stand-in for Slack's incoming-webhook endpoint on loopback: it records every message posted to it, and can be told to
 * fail the next N posts with a status (500, 429 with Retry-After) so retry behaviour can be tested. Slack itself cannot
 * be reached from here, and a webhook receiver has no behaviour beyond "accept JSON, answer 200 ok" to emulate.
 *
 * - `POST /services/...` (the webhook URL): records `{ receivedAt, path, body }`, answers `ok` — or the queued failure.
 * - `GET /messages`: what was recorded, oldest first. `DELETE /messages`: forget them.
 * - `POST /fail` `{ "status": 500, "times": 1, "retryAfter": 1 }`: fail the next `times` posts.
 * - `GET /_health`.
 */
export interface ReceivedMessage {
  receivedAt: string;
  path: string;
  body: unknown;
}

export function slackReceiver() {
  const messages: ReceivedMessage[] = [];
  const failures: { status: number; retryAfter?: number }[] = [];
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const json = (status: number, value: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));

    if (url.pathname === '/_health') return void res.writeHead(200).end('ok');
    if (url.pathname === '/messages' && req.method === 'GET') return json(200, messages);
    if (url.pathname === '/messages' && req.method === 'DELETE') {
      messages.length = 0;
      return json(200, { cleared: true });
    }
    if (url.pathname === '/fail' && req.method === 'POST') {
      const {
        status = 500,
        times = 1,
        retryAfter,
      } = JSON.parse(raw || '{}') as {
        status?: number;
        times?: number;
        retryAfter?: number;
      };
      for (let i = 0; i < times; i++) failures.push({ status, retryAfter });
      return json(200, { queued: failures.length });
    }
    if (url.pathname.startsWith('/services/') && req.method === 'POST') {
      const failure = failures.shift();
      if (failure) {
        const headers: Record<string, string> = failure.retryAfter ? { 'retry-after': String(failure.retryAfter) } : {};
        return void res
          .writeHead(failure.status, headers)
          .end(failure.status === 429 ? 'rate_limited' : 'internal_error');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return void res.writeHead(400).end('invalid_payload');
      }
      messages.push({ receivedAt: new Date().toISOString(), path: url.pathname, body });
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }
    res.writeHead(404).end('no_service');
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string' } } });
  if (!values.port) {
    console.error('usage: slack-receiver.ts --port N');
    process.exit(2);
  }
  slackReceiver().listen(Number(values.port), '127.0.0.1', () =>
    console.log(`slack receiver on http://127.0.0.1:${values.port}`),
  );
}
