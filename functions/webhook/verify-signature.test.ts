import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { providerOf, verifySignature } from './verify-signature';

const secret = "It's a Secret to Everybody";
const body = 'Hello, World!';
// GitHub's documented test vector ("Validating webhook deliveries": this secret and payload give this signature).
const githubDocSignature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifySignature', () => {
  it("accepts GitHub's documented test vector", async () => {
    expect(createHmac('sha256', secret).update(body).digest('hex')).toBe(githubDocSignature.slice(7));
    expect(await verifySignature('github', { 'x-hub-signature-256': githubDocSignature }, body, secret)).toEqual({
      kind: 'verified',
      provider: 'github',
    });
  });

  it('refuses a changed body, another secret, and a missing header, saying which', async () => {
    const headers = { 'x-hub-signature-256': githubDocSignature };
    expect(await verifySignature('github', headers, 'Hello, World?', secret)).toMatchObject({ kind: 'refused' });
    expect(await verifySignature('github', headers, body, 'another secret')).toMatchObject({ kind: 'refused' });
    expect(await verifySignature('github', {}, body, secret)).toEqual({
      kind: 'refused',
      reason: 'X-Hub-Signature-256 header is missing',
    });
  });

  it('compares a GitLab token with the secret', async () => {
    expect(await verifySignature('gitlab', { 'x-gitlab-token': secret }, body, secret)).toMatchObject({
      kind: 'verified',
    });
    expect(await verifySignature('gitlab', { 'x-gitlab-token': `${secret} ` }, body, secret)).toMatchObject({
      kind: 'refused',
    });
  });
});

describe('providerOf', () => {
  it('tells GitHub from GitLab by their headers, and neither from a plain request', () => {
    expect(providerOf({ 'x-github-event': 'push' })).toBe('github');
    expect(providerOf({ 'x-gitlab-event': 'Push Hook' })).toBe('gitlab');
    expect(providerOf({ 'content-type': 'application/json' })).toBeUndefined();
  });
});
