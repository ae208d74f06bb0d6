import { randomBytes, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Credentials } from '../../adapters/kubernetes/kube-credentials';
import { loopbackCertificate } from './loopback-certificate';

/**
 * What Helm's `lookup` read during one render, so the next reconcile can tell whether a render would come out the same
 * without running Helm: by API path (with its query), a fingerprint of the answer (an object's resourceVersion, a
 * list's members and their resourceVersions, or the HTTP status of a miss).
 */
export type LookupReads = ReadonlyMap<string, string>;

/**
 * A loopback proxy between Helm (`helm template --dry-run=server`) and the API server, for one render: Helm's lookup
 * calls go through it with the agent's own credentials, and it records what each resource read answered.
 *
 * Why a proxy and not Helm's own kubeconfig: a chart that calls `lookup` renders from what the cluster holds now, so its
 * output cannot be remembered by input alone, and before this every steady-state reconcile of such a chart (redis,
 * metrics-server, the AWS Load Balancer Controller) ran Helm again. Helm does not say what it looked up; the proxy
 * sees it. With the reads recorded, a reconcile first asks the API server for the same paths (one GET each): unchanged
 * answers mean the same render, and Helm is not run.
 *
 * It forwards only GET requests (lookup only reads; any other method is refused with 403, so Helm's dry-run cannot
 * write through it), listens on 127.0.0.1 only, over TLS with a certificate made for this render (client-go sends a
 * token over TLS only), and accepts only the random bearer token of its own kubeconfig, which it replaces with the
 * agent's credentials: another local process cannot borrow the agent's identity through it.
 */
export class LookupRecorder {
  private readonly recorded = new Map<string, string>();
  /** A resource read whose answer could not be fingerprinted (not JSON): the render must never be reused. */
  private opaque = false;

  private constructor(
    private readonly server: Server,
    private readonly token: string,
    private readonly cert: string,
  ) {}

  static async start(credentials: Credentials): Promise<LookupRecorder> {
    const token = randomBytes(24).toString('base64url');
    const holder: { recorder?: LookupRecorder } = {};
    const tls = loopbackCertificate();
    const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      void holder.recorder?.forward(credentials, req, res);
    });
    holder.recorder = new LookupRecorder(server, token, tls.cert);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return holder.recorder;
  }

  /** A kubeconfig for Helm that points at this proxy. */
  kubeconfig(): string {
    const { port } = this.server.address() as AddressInfo;
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'target',
          cluster: {
            server: `https://127.0.0.1:${port}`,
            'certificate-authority-data': Buffer.from(this.cert).toString('base64'),
          },
        },
      ],
      users: [{ name: 'tidemark', user: { token: this.token } }],
      contexts: [{ name: 'target', context: { cluster: 'target', user: 'tidemark' } }],
      'current-context': 'target',
    });
  }

  /** The token in {@link kubeconfig}, to mask in messages. */
  get secret(): string {
    return this.token;
  }

  /** The resource reads so far, or undefined when one of them cannot be checked again (never reuse the render). */
  reads(): LookupReads | undefined {
    return this.opaque ? undefined : new Map(this.recorded);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(credentials: Credentials, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const presented = Buffer.from(req.headers.authorization ?? '');
    const expected = Buffer.from(`Bearer ${this.token}`);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      res.writeHead(401).end();
      return;
    }
    if (req.method !== 'GET') {
      // Helm's lookup only reads; nothing may be written on the agent's behalf through a render.
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403, reason: 'Forbidden' }));
      return;
    }
    const path = req.url ?? '/';
    try {
      const upstream = await send(credentials, path, req.headers);
      if (isResourcePath(path)) {
        const fingerprint = fingerprintOf(upstream.status, upstream.contentType, upstream.body);
        if (fingerprint === undefined) this.opaque = true;
        else this.recorded.set(path, fingerprint);
      }
      res.writeHead(upstream.status, upstream.headers).end(upstream.body);
    } catch (error) {
      this.opaque = true;
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`tidemark lookup proxy: ${(error as Error).message}`);
    }
  }
}

/**
 * Whether every recorded read still answers the same (one GET per read, with the agent's credentials, as Helm's lookup
 * asked it): the render they fed would come out the same. A read that fails, or answers differently, counts as changed.
 */
export async function readsUnchanged(credentials: Credentials, reads: LookupReads): Promise<boolean> {
  const answers = await Promise.all(
    [...reads].map(async ([path, fingerprint]) => {
      try {
        const answer = await send(credentials, path, { accept: 'application/json' });
        return fingerprintOf(answer.status, answer.contentType, answer.body) === fingerprint;
      } catch {
        return false;
      }
    }),
  );
  return answers.every(Boolean);
}

/**
 * A read of objects, not discovery: `/api/v1/<resource>…` or `/apis/<group>/<version>/<resource>…`. Discovery
 * (`/api`, `/apis/<group>/<version>`, `/version`, `/openapi`) describes the cluster's kinds, which the render key
 * already holds as capabilities.
 */
export function isResourcePath(path: string): boolean {
  const segments = path.split('?')[0]!.split('/').filter(Boolean);
  if (segments[0] === 'api') return segments.length > 2;
  if (segments[0] === 'apis') return segments.length > 3;
  return false;
}

/**
 * What identifies an answer: a single object's resourceVersion, the members of a list with theirs, or the status of a
 * failed read. Undefined when the answer is not JSON (it cannot be compared later).
 */
export function fingerprintOf(status: number, contentType: string | undefined, body: Buffer): string | undefined {
  if (status !== 200) return `status:${status}`;
  if (!contentType?.includes('json')) return undefined;
  let value: { kind?: string; metadata?: { resourceVersion?: string }; items?: unknown[] };
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (Array.isArray(value.items)) {
    const members = value.items.map((item) => {
      const m = (item as { metadata?: { namespace?: string; name?: string; resourceVersion?: string } }).metadata;
      return `${m?.namespace ?? ''}/${m?.name ?? ''}@${m?.resourceVersion ?? ''}`;
    });
    return `list:${members.sort().join(',')}`;
  }
  return `object:${value.metadata?.resourceVersion ?? ''}`;
}

async function send(
  credentials: Credentials,
  path: string,
  incoming: IncomingMessage['headers'],
): Promise<{ status: number; contentType?: string; headers: Record<string, string>; body: Buffer }> {
  const base = credentials.server;
  const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
  const headers: Record<string, string> = { ...(await credentials.headers()) };
  for (const name of ['accept', 'user-agent']) {
    const value = incoming[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        headers,
        ca: credentials.tls.ca,
        cert: credentials.tls.cert,
        key: credentials.tls.key,
        rejectUnauthorized: credentials.tls.rejectUnauthorized ?? true,
        servername: credentials.tls.servername,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const contentType = res.headers['content-type'];
          resolve({
            status: res.statusCode ?? 502,
            contentType,
            headers: contentType ? { 'content-type': contentType } : {},
            body: Buffer.concat(chunks),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
