import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';

/** `detail` of the `ECR Image Action` event, as documented in the Amazon ECR User Guide ("Amazon ECR events"). */
export interface EcrImageActionDetail {
  result: 'SUCCESS' | 'FAILURE';
  'repository-name': string;
  'image-digest': string;
  'action-type': 'PUSH' | 'DELETE';
  'image-tag'?: string;
  'manifest-media-type'?: string;
  'artifact-media-type'?: string;
}

export interface EcrImageActionInput {
  repositoryName: string;
  tag?: string;
  digest: string;
  action?: 'PUSH' | 'DELETE';
  result?: 'SUCCESS' | 'FAILURE';
  account?: string;
  region?: string;
  time?: Date;
}

/**
 * The EventBridge event Amazon ECR emits when an image is pushed (or deleted). The image updater receives it as the
 * body of an SQS record (EventBridge rule → FIFO queue), so `sqsEvent([{ body: JSON.stringify(ecrImageAction(…)) }])`
 * is the full delivered shape.
 */
export function ecrImageAction(input: EcrImageActionInput): EventBridgeEvent<'ECR Image Action', EcrImageActionDetail> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: input.account ?? '123456789012',
    time: isoSeconds(input.time ?? new Date()),
    region: input.region ?? process.env.AWS_REGION ?? 'us-east-1',
    resources: [],
    detail: {
      result: input.result ?? 'SUCCESS',
      'repository-name': input.repositoryName,
      'image-digest': input.digest,
      'action-type': input.action ?? 'PUSH',
      ...(input.tag !== undefined && { 'image-tag': input.tag }),
      'manifest-media-type': 'application/vnd.oci.image.manifest.v1+json',
    },
  };
}

/**
 * The event a schedule delivers: an EventBridge rule (`source: aws.events`) or EventBridge Scheduler with the
 * EventBridge envelope (`source: aws.scheduler`). `resources` names the rule or schedule.
 */
export function scheduledEvent(
  scheduleArn: string,
  options: { time?: Date; source?: 'aws.events' | 'aws.scheduler' } = {},
): EventBridgeEvent<'Scheduled Event', Record<string, never>> {
  const [, , , region = 'us-east-1', account = '123456789012'] = scheduleArn.split(':');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: options.source ?? (scheduleArn.includes(':scheduler:') ? 'aws.scheduler' : 'aws.events'),
    account,
    time: isoSeconds(options.time ?? new Date()),
    region,
    resources: [scheduleArn],
    detail: {},
  };
}

/** EventBridge times have whole seconds: `2019-11-16T01:54:34Z`. */
function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}
