import { ECRClient, paginateDescribeImages, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { parseImageRef } from '../../core/images/image-ref';
import type { ImagePush } from '../../core/images/plan-image-update';

/** Where an ECR repository lives, from its full name `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`. */
export function ecrRepositoryOf(repository: string): { registryId: string; region: string; repositoryName: string } {
  const ref = parseImageRef(repository);
  const m = ref?.registry?.match(/^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/);
  if (!ref || !m) {
    throw new Error(
      `${repository} is not an ECR repository. Name it as <account>.dkr.ecr.<region>.amazonaws.com/<repository>`,
    );
  }
  return { registryId: m[1]!, region: m[2]!, repositoryName: ref.repository };
}

/**
 * Every tagged image of an ECR repository, one entry per tag, with digest and push time: what the scheduled
 * catch-up run compares with Git, and what `latest-pushed` policies order by. Pages through `DescribeImages` (the API
 * returns at most 1,000 images per page). A repository that does not exist yields no images.
 */
export async function describeImages(
  repository: string,
  options: { client?: ECRClient; pageSize?: number } = {},
): Promise<ImagePush[]> {
  const { registryId, region, repositoryName } = ecrRepositoryOf(repository);
  const pushes: ImagePush[] = [];
  try {
    const pages = paginateDescribeImages(
      { client: options.client ?? new ECRClient({ region }), pageSize: options.pageSize ?? 1000 },
      { registryId, repositoryName, filter: { tagStatus: 'TAGGED' } },
    );
    for await (const page of pages) {
      for (const image of page.imageDetails ?? []) {
        for (const tag of image.imageTags ?? []) {
          pushes.push({ repository, tag, digest: image.imageDigest, pushedAt: image.imagePushedAt });
        }
      }
    }
  } catch (e) {
    if (e instanceof RepositoryNotFoundException) return [];
    throw e;
  }
  return pushes;
}
