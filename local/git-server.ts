import { execFileSync, spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * A git server over smart HTTP for the local environment: git's own `git http-backend` does all of git's work; this file
 * only bridges Node's HTTP server to it as CGI (RFC 3875), adds basic auth (fetch and push both need it, like a private
 * GitHub repo), and an admin endpoint that creates bare repositories. Why a bridge and not nginx/Apache: no web server is
 * on every developer machine, and the bridge is 100 lines.
 *
 * Run: `node --import tsx local/git-server.ts --root DIR --port N --username U --password P`
 * - `GET|POST /<name>.git/...`: git smart HTTP (clone, fetch, push).
 * - `POST /_admin/repos/<name>`: create an empty bare repository `<name>.git` (idempotent).
 * - `GET /_health`: 200 when serving.
 */
export function gitServer(opts: { root: string; username: string; password: string }) {
  mkdirSync(opts.root, { recursive: true });
  const expected = Buffer.from(`Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`);
  const authorised = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/_health') return void res.writeHead(200).end('ok');
    if (!authorised(req)) {
      return void res
        .writeHead(401, { 'www-authenticate': 'Basic realm="tidemark-local-git"' })
        .end('authentication required\n');
    }
    const admin = url.pathname.match(/^\/_admin\/repos\/([A-Za-z0-9._-]+)$/);
    if (admin && req.method === 'POST') return createRepo(opts.root, admin[1]!, res);
    return httpBackend(opts.root, url, req, res);
  });
  // Node closes an idle keep-alive connection after 5 s, and a client whose event loop was blocked for that long (a
  // test running git synchronously on a loaded machine) sends its next request on the socket before it sees the close:
  // "other side closed". A minute outlasts any such pause; the server is on loopback, so idle sockets cost nothing.
  server.keepAliveTimeout = 60_000;
  return server;
}

function createRepo(root: string, name: string, res: ServerResponse): void {
  const dir = join(root, `${name.replace(/\.git$/, '')}.git`);
  if (!existsSync(dir)) {
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
    // Pushes over HTTP are off by default for anonymous users; ours are authenticated, but http-backend only sees
    // REMOTE_USER, so say explicitly that this repository accepts pushes.
    execFileSync('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
    execFileSync('git', ['-C', dir, 'config', 'uploadpack.allowFilter', 'true']);
    execFileSync('git', ['-C', dir, 'config', 'uploadpack.allowReachableSHA1InWant', 'true']);
    // Reject non-fast-forward pushes like a protected branch: Tidemark must never need a force-push.
    execFileSync('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'true']);
  }
  res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ path: dir }));
}

function httpBackend(root: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'tidemark',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: req.headers['content-length'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
    },
  });
  req.pipe(cgi.stdin);
  cgi.stdin.on('error', () => {});

  // CGI output: header lines, a blank line, then the body. Parse the headers once, stream the rest.
  let head = Buffer.alloc(0);
  let headersSent = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    const endLf = head.indexOf('\n\n');
    const split = end >= 0 ? { at: end, len: 4 } : endLf >= 0 ? { at: endLf, len: 2 } : null;
    if (!split) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, split.at).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const key = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[key] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(split.at + split.len));
  });
  let stderr = '';
  cgi.stderr.on('data', (c) => {
    stderr += c;
  });
  cgi.on('close', (code) => {
    if (!headersSent) {
      res.writeHead(500).end(`git http-backend failed (${code}): ${stderr}`);
      return;
    }
    if (stderr) process.stderr.write(`git http-backend: ${stderr}`);
    res.end();
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
    },
  });
  if (!values.root || !values.port || !values.username || !values.password) {
    console.error('usage: git-server.ts --root DIR --port N --username U --password P');
    process.exit(2);
  }
  gitServer({ root: values.root, username: values.username, password: values.password }).listen(
    Number(values.port),
    '127.0.0.1',
    () => console.log(`git server on http://127.0.0.1:${values.port} serving ${values.root}`),
  );
}
