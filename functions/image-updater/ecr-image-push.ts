import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { ecrRepositoryName } from '../../core/images/image-ref';
import type { ImagePush } from '../../core/images/plan-image-update';

/**
 * The EventBridge `ECR Image Action` event for a successful push, as documented in the Amazon ECR User Guide
 * ("Amazon ECR events and EventBridge"). The stack's rule already filters on `action-type: PUSH` and `result:
 * SUCCESS`; the schema checks again, so an event routed here by mistake is rejected with a reason, not acted on.
 */
export const EcrImagePushEvent = EventBridgeSchema.extend({
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  detail: z.object({
    'action-type': z.literal('PUSH', { error: 'must be PUSH: only pushes move tags' }),
    result: z.literal('SUCCESS', { error: 'must be SUCCESS: a failed push has no image to deploy' }),
    'repository-name': z.string().min(1),
    'image-digest': z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be a sha256 digest'),
    // A push by digest alone has no tag; it cannot move a tag and is skipped (see imagePushOf).
    'image-tag': z.string().optional(),
  }),
});
export type EcrImagePushEvent = z.infer<typeof EcrImagePushEvent>;

/** Why an SQS record's body is not an ECR push event, in one line: the reason the message goes to the DLQ. */
export class MalformedEvent extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`malformed ECR event: ${reason}`, options);
    this.name = 'MalformedEvent';
  }
}

/** Parses an SQS record body into an ECR push event, or throws {@link MalformedEvent} naming the first problem. */
export function parseEcrImagePush(body: string): EcrImagePushEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new MalformedEvent('the body is not JSON', { cause: e });
  }
  const parsed = EcrImagePushEvent.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MalformedEvent(`${issue.path.join('.') || '(event)'}: ${issue.message}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** The image push an event describes, or `undefined` for a push without a tag. */
export function imagePushOf(event: EcrImagePushEvent): ImagePush | undefined {
  const tag = event.detail['image-tag'];
  if (!tag) return undefined;
  return {
    repository: ecrRepositoryName(event.account, event.region, event.detail['repository-name']),
    tag,
    digest: event.detail['image-digest'],
    pushedAt: new Date(event.time),
    eventId: event.id,
  };
}
