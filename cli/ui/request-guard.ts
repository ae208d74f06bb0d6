import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * What keeps a local server that holds the user's cluster credentials to the user's own browser tab.
 *
 * - DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 reaches this server with
 *   `Host: evil.example:PORT`; every request whose Host is not 127.0.0.1 or localhost at our port is refused.
 * - Cross-site requests (CSRF): the one write (reconcile now) is a POST that must carry the token this process made at
 *   start and put only into its own confirmation form, and come from our own origin when the browser says where it
 *   comes from (`Origin`, `Sec-Fetch-Site`). A form on another site cannot read the token.
 */
export type Verdict = { ok: true } | { ok: false; status: number; reason: string };

export function checkHost(request: IncomingMessage, port: number): Verdict {
  const host = request.headers.host ?? '';
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`];
  return allowed.includes(host.toLowerCase())
    ? { ok: true }
    : {
        ok: false,
        status: 421,
        reason: `this server answers only to http://127.0.0.1:${port}; the Host header was '${host.slice(0, 100)}'`,
      };
}

/** A POST: from our own origin (when the browser names one), with this process's token. */
export function checkWrite(request: IncomingMessage, port: number, token: string, sentToken: unknown): Verdict {
  const origin = request.headers.origin;
  if (origin !== undefined && ![`http://127.0.0.1:${port}`, `http://localhost:${port}`].includes(origin)) {
    return { ok: false, status: 403, reason: `a request from ${origin.slice(0, 100)} may not change anything here` };
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { ok: false, status: 403, reason: `a ${site} request may not change anything here` };
  }
  if (typeof sentToken !== 'string' || !sameToken(sentToken, token)) {
    return {
      ok: false,
      status: 403,
      reason: 'the form token is missing or wrong; open the confirmation page again and confirm there',
    };
  }
  return { ok: true };
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
