import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { DEFAULT_SLACK_WEBHOOK_PATH } from './environment';

/**
 * A stand-in for Slack's incoming-webhook endpoint on loopback: it records every message posted to it, and can be told to
 * fail the next posts with a status (500, 429 with Retry-After) so retry behaviour can be tested. Slack itself cannot
 * be reached from here, and a webhook receiver has no behaviour beyond "accept JSON, answer 200 ok" to emulate.
 *
 * - `POST /services/...` (any webhook path): records `{ receivedAt, path, body }`, answers `ok` — or a queued failure.
 * - `GET /messages[?path=P]`: what was recorded (to path P), oldest first. `DELETE /messages[?path=P]`: forget them.
 * - `POST /fail` `{ "status": 500, "times": 1, "retryAfter": 1, "path": P }`: fail the next `times` posts to P
 *   (default: the environment's own webhook path, {@link DEFAULT_SLACK_WEBHOOK_PATH}).
 * - `POST /fail` `{ "delayMs": 15000, "path": P }`: the next post to P is recorded (Slack posted it) but answered only
 *   after the delay, as when Slack is slow to answer: the sender times out not knowing the message went out.
 * - `GET /_health`.
 *
 * Several test files and `tidemark demo` share one receiver; each that needs isolation posts to a path of its own.
 */

export interface ReceivedMessage {
  receivedAt: string;
  path: string;
  body: unknown;
}

interface Failure {
  status: number;
  retryAfter?: number;
  /** Record the message, then answer 200 after this long. */
  delayMs?: number;
}

export function slackReceiver() {
  let messages: ReceivedMessage[] = [];
  const failures = new Map<string, Failure[]>();
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const json = (status: number, value: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    const only = url.searchParams.get('path');

    if (url.pathname === '/_health') return void res.writeHead(200).end('ok');
    if (url.pathname === '/messages' && req.method === 'GET') {
      return json(200, only ? messages.filter((m) => m.path === only) : messages);
    }
    if (url.pathname === '/messages' && req.method === 'DELETE') {
      messages = only ? messages.filter((m) => m.path !== only) : [];
      return json(200, { cleared: true });
    }
    if (url.pathname === '/fail' && req.method === 'POST') {
      const request = JSON.parse(raw || '{}') as {
        status?: number;
        times?: number;
        retryAfter?: number;
        delayMs?: number;
        path?: string;
      };
      const path = request.path ?? DEFAULT_SLACK_WEBHOOK_PATH;
      const queue = failures.get(path) ?? [];
      for (let i = 0; i < (request.times ?? 1); i++) {
        queue.push({ status: request.status ?? 500, retryAfter: request.retryAfter, delayMs: request.delayMs });
      }
      failures.set(path, queue);
      return json(200, { queued: queue.length });
    }
    if (url.pathname.startsWith('/services/') && req.method === 'POST') {
      const failure = failures.get(url.pathname)?.shift();
      if (failure?.delayMs !== undefined) {
        messages.push({ receivedAt: new Date().toISOString(), path: url.pathname, body: JSON.parse(raw) });
        const delay = failure.delayMs;
        return void setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), delay);
      }
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
