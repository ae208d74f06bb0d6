import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { helmBinary } from '../../engine/render/helm-chart';
import { corpusPath } from './corpus';

const run = promisify(execFile);

/** A chart repository served over HTTPS on loopback for a test, and how to reach it. */
export interface ChartRepository {
  /** `https://127.0.0.1:<port>` (its index.yaml is at `/index.yaml`). */
  url: string;
  username: string;
  password: string;
  /** The PEM of the CA that signed the server's certificate. */
  ca: string;
  /** Packages another version of a corpus chart into the repository and re-indexes it. */
  publish(chart: string, version: string): Promise<void>;
  /** Requests the server answered, by path (to see that Helm really fetched from it). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A real Helm chart repository: charts packaged with `helm package`, an `index.yaml` made by `helm repo index` (the
 * same files `helm repo add` reads from GitHub Pages or S3), served over HTTPS with basic auth by Node's own server,
 * under a certificate signed by a CA made for this test with openssl (its SAN is 127.0.0.1). Nothing of Helm's
 * protocol is imitated here: the server only hands out the files Helm wrote.
 */
export async function startChartRepository(
  charts: { chart: string; version: string }[],
  /** `open`: plain HTTP without auth, as a public repository behind a company proxy can be (the drift scanner's case). */
  options: { open?: boolean } = {},
): Promise<ChartRepository> {
  const root = await mkdtemp(join(tmpdir(), 'chart-repo-'));
  const files = join(root, 'files');
  const pki = join(root, 'pki');
  await run('mkdir', ['-p', files, pki]);
  const ssl = (...args: string[]) => run('openssl', args, { cwd: pki });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=tidemark test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'tls.key', '-out', 'tls.csr');
  await writeFile(join(pki, 'san.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await ssl(
    'x509',
    '-req',
    '-in',
    'tls.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.ext',
    '-out',
    'tls.crt',
  );
  const helm = helmBinary();
  const publish = async (chart: string, version: string) => {
    const work = await mkdtemp(join(root, 'package-'));
    await cp(corpusPath('helm-charts', chart), join(work, chart), { recursive: true });
    const meta = join(work, chart, 'Chart.yaml');
    await writeFile(meta, (await readFile(meta, 'utf8')).replace(/^version: .*$/m, `version: ${version}`));
    await run(helm, ['package', join(work, chart), '-d', files]);
    // Relative chart URLs: Helm resolves them against the repository URL, as for a repository behind any host name.
    await run(helm, ['repo', 'index', files]);
    await rm(work, { recursive: true, force: true });
  };
  for (const { chart, version } of charts) await publish(chart, version);

  const username = 'charts';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const requests: string[] = [];
  const serve: Parameters<typeof createServer>[1] = (req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
    requests.push(path);
    if (!options.open && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end();
      return;
    }
    if (req.method !== 'GET' || path.includes('..')) {
      res.writeHead(405).end();
      return;
    }
    readFile(join(files, path))
      .then((body) => res.writeHead(200).end(body))
      .catch(() => res.writeHead(404).end());
  };
  const server: Server | HttpServer = options.open
    ? createHttpServer(serve)
    : createServer({ key: await readFile(join(pki, 'tls.key')), cert: await readFile(join(pki, 'tls.crt')) }, serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.open ? 'http' : 'https'}://127.0.0.1:${port}`,
    username,
    password,
    ca: await readFile(join(pki, 'ca.crt'), 'utf8'),
    publish,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
