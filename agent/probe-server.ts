import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * `/healthz` (the process serves), `/readyz` (the agent has listed its Syncs and, when leader election is on, knows
 * whether it leads; a standby is ready too, so a rollout does not wait on the lease) and `/metrics` (Prometheus).
 */
export function startProbeServer(
  port: number,
  registry: Registry,
  isReady: () => boolean,
): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = isReady();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'starting\n');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port });
    });
  });
}
