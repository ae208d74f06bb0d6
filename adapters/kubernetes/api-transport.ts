import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { describeFailure, KubeApiError } from './kube-api-error';
import type { Credentials } from './kube-credentials';

export interface ApiTransportOptions {
  /** Parallel connections to the API server; also the useful ceiling for concurrent applies. Default 16. */
  maxSockets?: number;
}

/** What a request is about, for the error message when it fails: "Deployment/shop/web apply failed (…)". */
export interface RequestSubject {
  body?: unknown;
  contentType?: string;
  subject?: string;
  verb?: string;
}

/**
 * HTTP to one API server: credentials and TLS from a kubeconfig or a token (see kube-credentials.ts), one keep-alive agent, the retries client-go also makes (429 with Retry-After, a kept-alive socket
 * the server closed), and error answers decoded into KubeApiError.
 */
export class ApiTransport {
  /** Requests sent, by method (`PATCH (dry-run)` for dry-runs); the benchmark reports them beside kubectl's. */
  readonly requestCounts = new Map<string, number>();
  private agent: HttpAgent | undefined;

  constructor(
    private readonly credentials: Credentials,
    private readonly options: ApiTransportOptions = {},
  ) {}

  /** One JSON request; the status code and the parsed body. Errors become KubeApiError naming `subject`. */
  async exchange<T>(method: string, path: string, options: RequestSubject = {}): Promise<{ status: number; body: T }> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let response = await this.send(method, path, body, options.contentType);
    // 429 asks the client to come back after Retry-After (priority and fairness, or a CRD's storage that is still
    // initialising right after it was established); client-go retries these transparently, and so do we.
    for (let attempt = 1; response.statusCode === 429 && attempt <= 10; attempt++) {
      const seconds = Number(response.headers['retry-after'] ?? 1);
      response.resume();
      await new Promise((resolve) => setTimeout(resolve, Math.min(Number.isFinite(seconds) ? seconds : 1, 5) * 1000));
      response = await this.send(method, path, body, options.contentType);
    }
    const status = response.statusCode ?? 500;
    if (status >= 400) await this.failure(response, options.subject ?? path, options.verb ?? method);
    const text = await readAll(response);
    return { status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** A streaming GET (a watch): the response, whose body the caller reads. */
  async stream(path: string, subject: string, signal?: AbortSignal): Promise<IncomingMessage> {
    const response = await this.send('GET', path, undefined, undefined, signal);
    if ((response.statusCode ?? 500) >= 400) await this.failure(response, subject, 'watch');
    return response;
  }

  /** A non-JSON GET, such as the API server's Prometheus `/metrics`. */
  async getText(path: string): Promise<string> {
    const response = await this.send('GET', path, undefined, undefined);
    if ((response.statusCode ?? 500) >= 400) await this.failure(response, path, 'get');
    return readAll(response);
  }

  /** Closes idle keep-alive connections so the process can exit. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async failure(response: IncomingMessage, subject: string, verb: string): Promise<never> {
    const text = await readAll(response);
    let status: { reason?: string; message?: string } = {};
    try {
      status = JSON.parse(text);
    } catch {
      status = { message: text.trim() || response.statusMessage };
    }
    const code = response.statusCode ?? 500;
    const reason = status.reason ?? '';
    const message = status.message ?? `HTTP ${code}`;
    throw new KubeApiError(code, reason, message, describeFailure(subject, verb, code, reason, message));
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    contentType: string | undefined,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const counted = `${method}${path.includes('dryRun=All') ? ' (dry-run)' : ''}`;
    this.requestCounts.set(counted, (this.requestCounts.get(counted) ?? 0) + 1);
    // Asked per request: exec plugins and token files refresh credentials that a cached header would let expire.
    const server = this.credentials.server;
    const agent = this.agentFor();
    const https = server.protocol === 'https:';
    const headers: Record<string, string | number> = {
      ...(await this.credentials.headers()),
      Accept: 'application/json',
    };
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const prefix = server.pathname.replace(/\/$/, '');
    const attempt = () =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = (https ? httpsRequest : httpRequest)(
          {
            protocol: server.protocol,
            hostname: server.hostname,
            port: server.port,
            path: prefix + path,
            method,
            headers,
            agent,
            signal,
          },
          resolve,
        );
        req.on('error', (error: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed while idle fails on first use, before the request reached
          // the server: safe to send again on a fresh connection (Node's documented keep-alive race).
          reject(
            req.reusedSocket && ['ECONNRESET', 'EPIPE'].includes(error.code ?? '') ? new StaleSocket(error) : error,
          );
        });
        req.end(body);
      });
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof StaleSocket) return attempt();
      throw error;
    }
  }

  private agentFor(): HttpAgent {
    if (this.agent) return this.agent;
    const maxSockets = this.options.maxSockets ?? 16;
    this.agent =
      this.credentials.server.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, maxSockets, ...this.credentials.tls })
        : new HttpAgent({ keepAlive: true, maxSockets });
    return this.agent;
  }
}

class StaleSocket extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

async function readAll(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += chunk;
  return text;
}
