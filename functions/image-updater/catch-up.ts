import type { ImagePush } from '../../core/images/plan-image-update';
import { EventBridgeEvent } from './ecr-image-push';
import type { UpdateRecorder } from './record-update';
import { readImagePolicies, type UpdateImagesDeps, type UpdateImagesResult, updateImages } from './update-images';

/**
 * The scheduled catch-up: every policy's repository listed in ECR (`DescribeImages`) and planned as if each image had
 * just been pushed, so an event EventBridge or SQS lost is made up for. Never-downgrade keeps it a no-op when Git is
 * current. The policy file is read once; the update plans from the same read.
 */
export async function catchUp(
  deps: UpdateImagesDeps & Required<Pick<UpdateImagesDeps, 'imagesOf'>>,
  record: UpdateRecorder,
): Promise<UpdateImagesResult> {
  const read = await readImagePolicies(deps.repo);
  if (!read) return { kind: 'ignored', matchedPolicies: [], writes: [], synced: [] };
  const repositories = [...new Set(read.policies.map((p) => p.repository))];
  // One repository ECR cannot describe (not ECR, not granted, deleted) must not stop the catch-up of the others.
  const listed = await Promise.allSettled(repositories.map((r) => deps.imagesOf(r)));
  const pushes = listed.flatMap((result, i): ImagePush[] => {
    if (result.status === 'fulfilled') return result.value;
    record.logger.warn('could not list the images of a repository; its policies are not caught up', {
      repository: repositories[i],
      error: (result.reason as Error).message,
    });
    record.count('catch-up-skipped');
    return [];
  });
  record.logger.info('catch-up run', { repositories, images: pushes.length });
  const result = await updateImages(pushes, deps, read);
  record.result(result, []);
  return result;
}

/** A schedule's event (EventBridge Scheduler, or an EventBridge rule), the catch-up's trigger. */
export function isSchedule(event: unknown): boolean {
  const scheduled = EventBridgeEvent.safeParse(event);
  return scheduled.success && ['aws.events', 'aws.scheduler'].includes(scheduled.data.source);
}
