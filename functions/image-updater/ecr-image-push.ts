import { ecrRepositoryName } from '../../core/images/image-ref';
import type { ImagePush } from '../../core/images/plan-image-update';
import * as z from '../../core/zod';

/**
 * An EventBridge event's envelope, as Powertools' parser has it (`@aws-lambda-powertools/parser/schemas/eventbridge`,
 * after the EventBridge User Guide's "Amazon EventBridge events"). Written here because Powertools builds its schemas
 * with classic zod, which would bring 189 KB of zod back into the image updater beside the 37 KB of `zod/mini` that
 * every other schema of the function uses; the envelope is these ten fields.
 */
export const EventBridgeEvent = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

/**
 * A tag as the OCI distribution spec defines it (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`), which ECR enforces on push.
 * The tag is written into manifests and commit subjects, so an event that does not come from ECR (a forged SQS
 * message: `1.0.1 --privileged`, a newline, a YAML flow character) must be refused here, before anything reads it.
 */
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** ECR's repository name rule: lowercase path components joined by `/`, each separated inside by `.`, `_` or `-`. */
const repositoryNamePattern = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * The EventBridge `ECR Image Action` event for a successful push, as documented in the Amazon ECR User Guide
 * ("Amazon ECR events and EventBridge"). The stack's rule already filters on `action-type: PUSH` and `result:
 * SUCCESS`; the schema checks again, so an event routed here by mistake is rejected with a reason, not acted on.
 */
export const EcrImagePushEvent = z.extend(EventBridgeEvent, {
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  account: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
  detail: z.object({
    'action-type': z.literal('PUSH', { error: 'must be PUSH: only pushes move tags' }),
    result: z.literal('SUCCESS', { error: 'must be SUCCESS: a failed push has no image to deploy' }),
    'repository-name': z
      .string()
      .check(
        z.maxLength(256),
        z.regex(repositoryNamePattern, 'must be an ECR repository name (lowercase path components such as team/web)'),
      ),
    'image-digest': z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/, 'must be a sha256 digest')),
    // A push by digest alone has no tag; it cannot move a tag and is skipped (see imagePushOf).
    'image-tag': z.optional(
      z
        .string()
        .check(
          z.regex(tagPattern, 'must be an image tag (up to 128 letters, digits, _ . -, not starting with . or -)'),
        ),
    ),
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
