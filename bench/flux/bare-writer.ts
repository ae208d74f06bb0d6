import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { KubeObject } from '../../core/sync/kube-object';

/**
 * The physical limit of a cold apply on this machine: the same server-side apply requests a GitOps tool must send,
 * sent by a writer that does nothing else: no discovery (a fixed kind → resource table), no render, no diff, no
 * status, bodies serialised before the clock starts, `concurrency` keep-alive connections. Namespaces go first (the
 * objects in them are refused until they exist), then everything else at once.
 */
export interface ApiServer {
  server: string;
  token: string;
  caPath: string;
}

const RESOURCES: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
  Namespace: { prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  ConfigMap: { prefix: '/api/v1', plural: 'configmaps', namespaced: true },
  Secret: { prefix: '/api/v1', plural: 'secrets', namespaced: true },
  ServiceAccount: { prefix: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  Service: { prefix: '/api/v1', plural: 'services', namespaced: true },
  Role: { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  Deployment: { prefix: '/apis/apps/v1', plural: 'deployments', namespaced: true },
};

function pathOf(object: KubeObject): string {
  const r = RESOURCES[object.kind];
  if (!r) throw new Error(`bare writer: no resource for kind ${object.kind}; add it to RESOURCES`);
  const ns = r.namespaced ? `/namespaces/${object.metadata.namespace}` : '';
  return `${r.prefix}${ns}/${r.plural}/${object.metadata.name}?fieldManager=bench-bare&force=true`;
}

/** A writer with `concurrency` kept-alive connections to the API server. */
export class BareWriter {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    private readonly api: ApiServer,
    private readonly concurrency: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(api.caPath) });
    this.url = new URL(api.server);
  }

  /** Sends one server-side apply per object (Namespaces first) and returns the wall time in milliseconds. */
  async apply(objects: readonly KubeObject[]): Promise<number> {
    const prepared = (list: readonly KubeObject[]) =>
      list.map((object) => ({ path: pathOf(object), body: Buffer.from(JSON.stringify(object)) }));
    const namespaces = prepared(objects.filter((o) => o.kind === 'Namespace'));
    const rest = prepared(objects.filter((o) => o.kind !== 'Namespace'));
    const started = performance.now();
    await this.pool(namespaces);
    await this.pool(rest);
    return performance.now() - started;
  }

  close(): void {
    this.agent.destroy();
  }

  private async pool(items: { path: string; body: Buffer }[]): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency, items.length) }, async () => {
        while (next < items.length) await this.send(items[next++]!);
      }),
    );
  }

  private send({ path, body }: { path: string; body: Buffer }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method: 'PATCH',
          path,
          headers: {
            authorization: `Bearer ${this.api.token}`,
            'content-type': 'application/apply-patch+yaml',
            'content-length': body.length,
            accept: 'application/json',
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () =>
            (response.statusCode ?? 500) < 300
              ? resolve()
              : reject(new Error(`bare apply ${path}: ${response.statusCode} ${Buffer.concat(chunks).toString()}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
