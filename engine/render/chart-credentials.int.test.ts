import { ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { uniqueNamespace } from '../../test/support/cluster';
import { localEnv } from '../../test/support/local-env';
import { ChartCredentialsSource } from './chart-credentials';

// ECR's GetAuthorizationToken from moto; the secretRef from the real API server.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
afterAll(() => cluster.close());
const ecr = () => {
  const { aws } = localEnv();
  return new ECRClient({
    region: aws.region,
    endpoint: aws.endpoint,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  });
};

describe('ChartCredentialsSource', () => {
  it('gets an ECR token for an ECR chart, caches it, and renews it an hour before expiry', async () => {
    // moto answers every GetAuthorizationToken with expiresAt 2015-01-01T00:00Z; the clock is set against that.
    let now = new Date('2014-12-31T12:00:00Z');
    let calls = 0;
    const source = new ChartCredentialsSource(
      cluster,
      () => {
        calls++;
        return ecr();
      },
      () => now,
    );
    const chart = { oci: `oci://${localEnv().aws.accountId}.dkr.ecr.us-east-1.amazonaws.com/charts/web` };
    const first = await source.for(chart, 'default');
    expect(first?.username).toBe('AWS');
    expect(first?.password?.length).toBeGreaterThan(0);
    await source.for(chart, 'default');
    expect(calls).toBe(1);
    now = new Date('2014-12-31T23:30:00Z'); // half an hour before expiry: renewed

    await source.for(chart, 'default');
    expect(calls).toBe(2);
  });

  it("reads basic auth from the secretRef in the Sync's namespace, and says what is missing", async () => {
    const ns = await uniqueNamespace('chart-creds');
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'charts', namespace: ns },
      stringData: { username: 'u', password: 'p4ssword' },
    });
    const source = new ChartCredentialsSource(cluster, ecr);
    expect(await source.for({ oci: 'oci://127.0.0.1:5000/charts/web', secretRef: { name: 'charts' } }, ns)).toEqual({
      username: 'u',
      password: 'p4ssword',
    });
    await expect(
      source.for({ oci: 'oci://127.0.0.1:5000/charts/web', secretRef: { name: 'missing' } }, ns),
    ).rejects.toThrow(`Secret/${ns}/missing does not exist. Create it with keys username and password`);
    expect(await source.for({ path: 'charts/web' }, ns)).toBeUndefined();
  });
});
