import { request } from 'node:http';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/local-env';
import { EksClusters } from './eks-cluster';
import { EksTokenSource } from './eks-token';

// Against moto (STS and EKS). moto does not verify SigV4 signatures, so these tests check what moto can: that the
// pre-signed URL is a well-formed STS GetCallerIdentity call, and that DescribeCluster yields endpoint and CA. The
// signature itself is checked in eks-token.test.ts against the SigV4 rules.

/** A GET with an explicit Host header (fetch does not let one set it); moto routes requests to STS by host. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, async (res) => {
      let body = '';
      for await (const chunk of res) body += chunk;
      resolve({ status: res.statusCode ?? 0, body });
    })
      .on('error', reject)
      .end();
  });
}

describe('EKS access', () => {
  it('signs a token whose URL is an STS GetCallerIdentity call carrying the cluster name', async () => {
    const tokens = new EksTokenSource({ region: process.env.AWS_REGION ?? 'us-east-1' });
    const { token } = await tokens.tokenFor('prod');
    const url = new URL(Buffer.from(token.replace(/^k8s-aws-v1\./, ''), 'base64url').toString());
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    // Send it to moto's STS the way the EKS authenticator sends it to AWS.
    const endpoint = new URL(process.env.AWS_ENDPOINT_URL ?? '');
    const response = await get(`${endpoint.origin}/${url.search}`, { host: url.host, 'x-k8s-aws-id': 'prod' });
    expect(response.status).toBe(200);
    expect(response.body).toMatch(/<GetCallerIdentityResult>[\s\S]*<Account>\d{12}<\/Account>/);
  });

  it('reads endpoint and CA with DescribeCluster, once per cluster', async () => {
    const name = uniqueName('eks');
    const region = process.env.AWS_REGION ?? 'us-east-1';
    await new EKSClient({ region }).send(
      new CreateClusterCommand({
        name,
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds: ['subnet-1'] },
      }),
    );
    const clusters = new EksClusters(region);
    const endpoint = await clusters.endpointOf(name);
    expect(endpoint.server).toMatch(/^https:\/\//);
    expect(Buffer.from(endpoint.certificateAuthorityData, 'base64').length).toBeGreaterThan(0);
    expect(clusters.endpointOf(name)).toBe(clusters.endpointOf(name));
  });

  it('names the cluster and the fix when it does not exist', async () => {
    await expect(new EksClusters('us-east-1').endpointOf('no-such-cluster')).rejects.toThrow(
      'EKS cluster no-such-cluster does not exist in us-east-1. Fix eksClusterName or region in tidemark.config.yaml.',
    );
  });
});
