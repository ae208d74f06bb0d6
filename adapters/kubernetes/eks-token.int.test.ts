import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../../test/support/local-env';
import { EksClusters } from './eks-cluster';

// DescribeCluster against moto's EKS. The token's signature cannot be checked here (moto verifies no signatures);
// eks-token.test.ts compares it with botocore's, the signer behind `aws eks get-token`.

describe('EKS access', () => {
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
