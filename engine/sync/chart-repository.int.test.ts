import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { credentialsFromKubeconfig } from '../../adapters/kubernetes/kube-credentials';
import { parseHelmSource } from '../../core/helm/chart-source';
import type { Inventory } from '../../core/sync/inventory';
import { type ChartRepository, startChartRepository } from '../../test/support/chart-repository';
import { uniqueNamespace } from '../../test/support/cluster';
import { ChartCredentialsSource } from '../render/chart-credentials';
import { syncRelease } from './sync-release';

// A real Helm chart repository (charts packaged by `helm package`, index.yaml by `helm repo index`) served over HTTPS
// with basic auth under a CA made for the test, the real Helm v3.22 pulling from it, and the real API server.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let charts: ChartRepository;

beforeAll(async () => {
  charts = await startChartRepository([{ chart: 'podinfo', version: '6.5.0' }]);
});

afterAll(async () => {
  await charts?.close();
  cluster.close();
});

/** A Sync releasing podinfo from the repository across reconciles, each with the credentials of Secret `secret`. */
async function repositorySync(namespace: string) {
  const chartCache = await mkdtemp(join(tmpdir(), 'chart-repository-cache-'));
  const credentials = new ChartCredentialsSource(cluster);
  let previous: Inventory | undefined;
  return async (secret: string) => {
    const parsed = parseHelmSource({
      chart: { repository: charts.url, name: 'podinfo', version: '6.x', secretRef: { name: secret } },
    });
    if (!parsed.ok) throw new Error(parsed.message);
    const source = parsed.source;
    const result = await syncRelease(cluster, {
      sync: { namespace, name: 'web' },
      dir: chartCache,
      repoRoot: chartCache,
      revision: 'test',
      helm: source,
      previous,
      prune: true,
      maxPruneShare: 1,
      lookupAs: credentialsFromKubeconfig(process.env.KUBECONFIG),
      chartCredentials: await credentials.for(source.chart, namespace),
      chartCache,
    });
    if ('inventory' in result.outcome && result.outcome.inventory) previous = result.outcome.inventory;
    return result;
  };
}

const credentialsSecret = (namespace: string, name: string, data: Record<string, string>) =>
  cluster.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: data });
const deployment = (namespace: string) =>
  cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web-podinfo' });

describe('a chart from an HTTPS chart repository', () => {
  it('pulls with basic auth and a private CA from the secretRef, and follows a range to a newly published version', async () => {
    const ns = await uniqueNamespace('chart-repo');
    await credentialsSecret(ns, 'charts', {
      username: charts.username,
      password: charts.password,
      'ca.crt': charts.ca,
    });
    const reconcile = await repositorySync(ns);

    const first = await reconcile('charts');
    expect(first.outcome.kind).toMatch(/applied|progressing/);
    expect(first.release).toMatchObject({ chart: 'podinfo', version: '6.5.0' });
    expect((await deployment(ns))?.metadata.labels?.['helm.sh/chart']).toBe('podinfo-6.5.0');
    // Helm read the repository's index and fetched the package from this server.
    expect(charts.requests).toEqual(expect.arrayContaining(['/index.yaml', '/podinfo-6.5.0.tgz']));

    await charts.publish('podinfo', '6.6.0');
    const next = await reconcile('charts');
    expect(next.release).toMatchObject({ version: '6.6.0' });
    expect((await deployment(ns))?.metadata.labels?.['helm.sh/chart']).toBe('podinfo-6.6.0');
  });

  it('stalls without the CA or with a wrong password, says why, and deletes nothing', async () => {
    const ns = await uniqueNamespace('chart-repo-bad');
    await credentialsSecret(ns, 'charts', {
      username: charts.username,
      password: charts.password,
      'ca.crt': charts.ca,
    });
    const reconcile = await repositorySync(ns);
    expect((await reconcile('charts')).outcome.kind).toMatch(/applied|progressing/);

    await credentialsSecret(ns, 'no-ca', { username: charts.username, password: charts.password });
    const untrusted = await reconcile('no-ca');
    expect(untrusted.outcome.kind).toBe('render-failed');
    expect('message' in untrusted.outcome && untrusted.outcome.message).toMatch(
      /ChartServerUntrusted: .*x509: certificate signed by unknown authority\. Put the PEM of the CA .* under ca\.crt/,
    );

    await credentialsSecret(ns, 'wrong', {
      username: charts.username,
      password: 'not-the-password',
      'ca.crt': charts.ca,
    });
    const refused = await reconcile('wrong');
    expect(refused.outcome.kind).toBe('render-failed');
    expect('message' in refused.outcome && refused.outcome.message).toMatch(/ChartAuthFailed: .*401 Unauthorized/);
    expect(JSON.stringify(refused)).not.toContain(charts.password);
    // What the good credentials applied is still there: a failed pull deletes nothing.
    expect(await deployment(ns)).toBeDefined();
  });
});
