import { EventBridgeSchema, LambdaFunctionUrlSchema, SqsSchema } from '@aws-lambda-powertools/parser/schemas';
import { describe, expect, it } from 'vitest';
import { ecrImageAction, functionUrlRequest, scheduledEvent, sqsEvent } from './index';

// Powertools' parser schemas are AWS's documented event shapes; a builder that drifts from them fails here.
describe('functionUrlRequest', () => {
  it('builds a payload-2.0 event that Powertools parses as a Lambda Function URL request', () => {
    const event = functionUrlRequest({
      path: '/hook?source=github',
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push' },
      body: '{"zen":"Keep it logically awesome."}',
    });
    expect(LambdaFunctionUrlSchema.safeParse(event).success).toBe(true);
    expect(event.headers['x-github-event']).toBe('push');
    expect(event.rawQueryString).toBe('source=github');
    expect(event.requestContext.http.method).toBe('POST');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe('{"zen":"Keep it logically awesome."}');
  });

  it('base64-encodes a body whose content type is not text, as Function URLs do', () => {
    const bytes = Uint8Array.from([0xff, 0x00, 0x7b]);
    const event = functionUrlRequest({ headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64')).toEqual(Buffer.from(bytes));
  });
});

describe('sqsEvent', () => {
  it('builds FIFO records with group, deduplication id and sequence number', () => {
    const event = sqsEvent(
      [{ body: '{"a":1}', messageGroupId: 'repo-1', attributes: { kind: 'ecr' } }, { body: '{"a":2}' }],
      'arn:aws:sqs:eu-west-1:123456789012:image-events.fifo',
    );
    expect(SqsSchema.safeParse(event).success).toBe(true);
    const [first, second] = event.Records;
    expect(first?.attributes.MessageGroupId).toBe('repo-1');
    expect(first?.attributes.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(first?.messageAttributes.kind?.stringValue).toBe('ecr');
    expect(first?.awsRegion).toBe('eu-west-1');
    expect(BigInt(second!.attributes.SequenceNumber!)).toBeGreaterThan(BigInt(first!.attributes.SequenceNumber!));
  });

  it('leaves FIFO attributes out on a standard queue', () => {
    const event = sqsEvent([{ body: 'x' }], 'arn:aws:sqs:us-east-1:123456789012:sync-dev');
    expect(SqsSchema.safeParse(event).success).toBe(true);
    expect(event.Records[0]?.attributes.MessageGroupId).toBeUndefined();
  });
});

describe('EventBridge events', () => {
  it('builds the documented ECR Image Action for a push', () => {
    const event = ecrImageAction({
      repositoryName: 'web',
      tag: '1.4.2',
      digest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
      region: 'eu-west-1',
      time: new Date('2019-11-16T01:54:34.123Z'),
    });
    expect(EventBridgeSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      time: '2019-11-16T01:54:34Z',
      detail: { 'action-type': 'PUSH', result: 'SUCCESS', 'repository-name': 'web', 'image-tag': '1.4.2' },
    });
  });

  it('builds a Scheduler event naming its schedule', () => {
    const arn = 'arn:aws:scheduler:eu-west-1:123456789012:schedule/default/drift-scan';
    const event = scheduledEvent(arn);
    expect(EventBridgeSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({ source: 'aws.scheduler', region: 'eu-west-1', resources: [arn] });
  });
});
