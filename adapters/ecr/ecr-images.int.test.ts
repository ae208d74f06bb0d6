import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { describeImages, ecrRepositoryOf } from './ecr-images';

/** A minimal OCI image manifest; its bytes (and so its digest) differ by `seed`. */
function manifest(seed: number): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${String(seed).padStart(64, '0')}`,
      size: seed,
    },
    layers: [],
  });
}

describe('describeImages on moto ECR', () => {
  it('lists every tag of every image across pages, with digest and push time', async () => {
    const ecr = new ECRClient({});
    const name = uniqueName('ecr-images');
    const uri = (await ecr.send(new CreateRepositoryCommand({ repositoryName: name }))).repository!.repositoryUri!;
    for (let i = 1; i <= 3; i++) {
      await ecr.send(new PutImageCommand({ repositoryName: name, imageManifest: manifest(i), imageTag: `1.0.${i}` }));
    }
    await ecr.send(new PutImageCommand({ repositoryName: name, imageManifest: manifest(3), imageTag: 'latest' }));

    const images = await describeImages(uri, { client: ecr, pageSize: 2 });
    expect(images.map((i) => i.tag).sort()).toEqual(['1.0.1', '1.0.2', '1.0.3', 'latest']);
    const latest = images.find((i) => i.tag === 'latest')!;
    expect(latest.digest).toBe(images.find((i) => i.tag === '1.0.3')!.digest);
    expect(latest.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(latest.pushedAt).toBeInstanceOf(Date);
    expect(latest.repository).toBe(uri);
  });

  it('returns nothing for a repository that does not exist', async () => {
    const { accountId, region } = localEnv().aws;
    expect(await describeImages(`${accountId}.dkr.ecr.${region}.amazonaws.com/${uniqueName('none')}`)).toEqual([]);
  });
});

describe('ecrRepositoryOf', () => {
  it('splits an ECR repository name and rejects others', () => {
    expect(ecrRepositoryOf('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web')).toEqual({
      registryId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'team/web',
    });
    expect(() => ecrRepositoryOf('ghcr.io/acme/web')).toThrow(/is not an ECR repository/);
  });
});
