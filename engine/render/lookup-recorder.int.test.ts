import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { credentialsFromKubeconfig } from '../../adapters/kubernetes/kube-credentials';
import { parseHelmSource } from '../../core/helm/chart-source';
import { uniqueNamespace } from '../../test/support/cluster';
import { helmBinary } from './helm-chart';
import { LookupRecorder } from './lookup-recorder';
import { renderRelease } from './render-release';

// The real Helm v3.22 rendering with `lookup` against the real API server through the recording proxy, and a helm
// wrapper that counts how often Helm actually ran.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const credentials = credentialsFromKubeconfig(process.env.KUBECONFIG);
let repo: string;
let helm: string;
let helmLog: string;

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'lookup-recorder-'));
  const chart = join(repo, 'charts', 'mirror');
  await mkdir(join(chart, 'templates'), { recursive: true });
  await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: mirror\nversion: 1.0.0\n');
  // Like a chart that reuses an existing Secret or certificate: what it renders depends on what lookup finds.
  await writeFile(
    join(chart, 'templates', 'copy.yaml'),
    [
      '{{- $source := lookup "v1" "ConfigMap" .Release.Namespace "source" }}',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: copy',
      'data:',
      '  value: {{ if $source }}{{ $source.data.value | quote }}{{ else }}"absent"{{ end }}',
      '',
    ].join('\n'),
  );
  helmLog = join(repo, 'helm-runs.log');
  helm = join(repo, 'helm');
  await writeFile(helm, `#!/bin/sh\necho "$1" >> '${helmLog}'\nexec '${helmBinary()}' "$@"\n`);
  await chmod(helm, 0o755);
});

afterAll(() => cluster.close());

const helmRuns = async () =>
  (await readFile(helmLog, 'utf8').catch(() => '')).split('\n').filter((l) => l === 'template').length;

describe('renders with lookup, remembered by what lookup read', () => {
  it('runs Helm again only when an object lookup read has changed', async () => {
    const ns = await uniqueNamespace('lookup-recorder');
    const parsed = parseHelmSource({ chart: { path: 'charts/mirror' } });
    if (!parsed.ok) throw new Error(parsed.message);
    const render = async () => {
      const rendered = await renderRelease(cluster, {
        sync: { namespace: ns, name: 'web' },
        source: parsed.source,
        repoRoot: repo,
        dir: repo,
        phase: 'upgrade',
        lookupAs: credentials,
        helm,
        chartCache: join(repo, '.cache'),
      });
      return rendered.objects.find((o) => o.kind === 'ConfigMap')?.data;
    };
    const source = (value: string) =>
      cluster.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'source', namespace: ns },
        data: { value },
      });

    expect(await render()).toEqual({ value: 'absent' });
    const first = await helmRuns();
    expect(await render()).toEqual({ value: 'absent' });
    expect(await helmRuns()).toBe(first); // nothing lookup read changed: the render is reused

    await source('one');
    expect(await render()).toEqual({ value: 'one' });
    expect(await helmRuns()).toBe(first + 1);
    expect(await render()).toEqual({ value: 'one' });
    expect(await helmRuns()).toBe(first + 1);

    await source('two');
    expect(await render()).toEqual({ value: 'two' });
    expect(await helmRuns()).toBe(first + 2);

    await cluster.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'source' });
    expect(await render()).toEqual({ value: 'absent' });
    expect(await helmRuns()).toBe(first + 3);
  });
});

describe('the lookup proxy', () => {
  it("forwards only GETs, only with its own kubeconfig's token, over TLS, and records the reads", async () => {
    const recorder = await LookupRecorder.start(credentials);
    try {
      const kubeconfig = JSON.parse(recorder.kubeconfig());
      const server = new URL(kubeconfig.clusters[0].cluster.server);
      const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
      const token = kubeconfig.users[0].user.token as string;
      const call = (method: string, path: string, bearer: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            new URL(path, server),
            { method, ca, headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect(server.protocol).toBe('https:');
      expect(server.hostname).toBe('127.0.0.1');
      expect(await call('GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt', 'someone-else')).toBe(401);
      expect(await call('DELETE', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt', token)).toBe(403);
      expect(await call('GET', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt', token)).toBe(200);
      expect([...(recorder.reads()?.keys() ?? [])]).toEqual(['/api/v1/namespaces/default/configmaps/kube-root-ca.crt']);
      expect(
        await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'kube-root-ca.crt' }),
      ).toBeDefined(); // the DELETE never reached the API server
    } finally {
      await recorder.close();
    }
  });
});
