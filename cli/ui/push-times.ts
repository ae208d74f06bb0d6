import { describeImages } from '../../adapters/ecr/ecr-images';

/** When each ECR image of the revision was pushed, from the registry (the user's AWS credentials). */
export async function pushTimes(images: readonly string[], notes: string[]): Promise<{ image: string; at: Date }[]> {
  const out: { image: string; at: Date }[] = [];
  for (const image of images.slice(0, 10)) {
    const colon = image.lastIndexOf(':');
    if (colon <= image.lastIndexOf('/')) continue;
    const repository = image.slice(0, colon);
    const tag = image.slice(colon + 1);
    try {
      const found = (await describeImages(repository)).find((p) => p.tag === tag);
      if (found?.pushedAt) out.push({ image, at: found.pushedAt });
    } catch (error) {
      notes.push(`The push time of ${image} is unknown: ${(error as Error).message}`);
    }
  }
  return out;
}
