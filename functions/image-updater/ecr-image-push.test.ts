import { describe, expect, it } from 'vitest';
import { ecrImageAction } from '../../local/invoke';
import { imagePushOf, MalformedEvent, parseEcrImagePush } from './ecr-image-push';

const DIGEST = `sha256:${'e'.repeat(64)}`;

// The documented example from the Amazon ECR User Guide ("Event for a completed image push").
const documented = {
  version: '0',
  id: '13cde686-328b-6117-af20-0e5566167482',
  'detail-type': 'ECR Image Action',
  source: 'aws.ecr',
  account: '123456789012',
  time: '2019-11-16T01:54:34Z',
  region: 'us-west-2',
  resources: [],
  detail: {
    result: 'SUCCESS',
    'repository-name': 'my-repository-name',
    'image-digest': 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
    'action-type': 'PUSH',
    'image-tag': 'latest',
  },
};

describe('parseEcrImagePush', () => {
  // The guide's example digest is shortened; real ECR digests are 64 hex digits, and the schema insists on that.
  it("reads AWS's documented push event into the push it describes", () => {
    const digest = `sha256:${'7'.repeat(64)}`;
    const event = parseEcrImagePush(
      JSON.stringify({ ...documented, detail: { ...documented.detail, 'image-digest': digest } }),
    );
    expect(imagePushOf(event)).toEqual({
      repository: '123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name',
      tag: 'latest',
      digest,
      pushedAt: new Date('2019-11-16T01:54:34Z'),
      eventId: '13cde686-328b-6117-af20-0e5566167482',
    });
  });

  it('reads the event local/invoke builds for the tests', () => {
    const event = ecrImageAction({ repositoryName: 'web', tag: '1.2.3', digest: DIGEST });
    expect(imagePushOf(parseEcrImagePush(JSON.stringify(event)))?.tag).toBe('1.2.3');
  });

  it('has no push for an image pushed by digest alone', () => {
    const event = ecrImageAction({ repositoryName: 'web', digest: DIGEST });
    expect(imagePushOf(parseEcrImagePush(JSON.stringify(event)))).toBeUndefined();
  });

  it('rejects with a reason what is not a successful push', () => {
    const cases: [unknown, string][] = [
      ['{', 'the body is not JSON'],
      [{ ...documented, source: 'aws.s3' }, 'source: Invalid input: expected "aws.ecr"'],
      [
        { ...documented, detail: { ...documented.detail, 'action-type': 'DELETE' } },
        'detail.action-type: must be PUSH',
      ],
      [{ ...documented, detail: { ...documented.detail, result: 'FAILURE' } }, 'detail.result: must be SUCCESS'],
      [{ ...documented, detail: { ...documented.detail } }, 'detail.image-digest: must be a sha256 digest'],
    ];
    for (const [body, reason] of cases) {
      expect(() => parseEcrImagePush(typeof body === 'string' ? body : JSON.stringify(body))).toThrow(MalformedEvent);
      expect(() => parseEcrImagePush(typeof body === 'string' ? body : JSON.stringify(body))).toThrow(
        `malformed ECR event: ${reason}`,
      );
    }
  });
});
