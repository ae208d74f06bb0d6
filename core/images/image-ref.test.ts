import { describe, expect, it } from 'vitest';
import { ecrRepositoryName, formatImageRef, parseImageRef } from './image-ref';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseImageRef', () => {
  it('splits an ECR reference into registry, repository, tag and digest', () => {
    expect(parseImageRef(`123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web:1.2.3@${DIGEST}`)).toEqual({
      registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
      repository: 'team/web',
      tag: '1.2.3',
      digest: DIGEST,
      name: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/web',
    });
  });

  it('tells a registry port from a tag', () => {
    expect(parseImageRef('localhost:5000/web')).toMatchObject({ registry: 'localhost:5000', repository: 'web' });
    expect(parseImageRef('localhost:5000/web:2')).toMatchObject({ name: 'localhost:5000/web', tag: '2' });
  });

  it('keeps a Docker Hub short name as written', () => {
    expect(parseImageRef('redis:alpine')).toEqual({ repository: 'redis', tag: 'alpine', name: 'redis' });
    expect(parseImageRef('library/redis')).toMatchObject({ registry: undefined, name: 'library/redis' });
  });

  it('rejects what is not a reference', () => {
    for (const text of ['', 'Web:1', 'web:', 'web@sha256:short', 'a b', 'web:-x', 'ghcr.io/x:*']) {
      expect(parseImageRef(text), text).toBeUndefined();
    }
  });

  it('formats back to the canonical form', () => {
    const ref = parseImageRef(`ghcr.io/a/b:1@${DIGEST}`)!;
    expect(formatImageRef(ref)).toBe(`ghcr.io/a/b:1@${DIGEST}`);
  });
});

describe('ecrRepositoryName', () => {
  it('builds the repository name an ECR event refers to', () => {
    expect(ecrRepositoryName('123456789012', 'eu-west-1', 'web')).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web',
    );
    expect(ecrRepositoryName('123456789012', 'cn-north-1', 'web')).toBe(
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web',
    );
  });
});
