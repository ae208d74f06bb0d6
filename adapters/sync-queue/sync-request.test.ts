import { describe, expect, it } from 'vitest';
import { SyncRequest, sameRepo } from './sync-request';

const valid = {
  repo: 'https://github.com/acme/config.git',
  branch: 'main',
  revision: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
  pushedAt: '2019-05-15T15:20:30-05:00',
  deliveryId: 'f0a3a2e0-7731-11e9-8b5e-7a5a3d8a1a9f',
};

describe('SyncRequest', () => {
  it('accepts what the webhook sends after a GitHub push (timestamp with an offset)', () => {
    expect(SyncRequest.parse(valid)).toEqual(valid);
  });

  it('refuses a revision that is not a commit SHA, naming the field', () => {
    const result = SyncRequest.safeParse({ ...valid, revision: 'main' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['revision']);
  });

  it('refuses a message without a delivery id', () => {
    const { deliveryId: _, ...rest } = valid;
    expect(SyncRequest.safeParse(rest).success).toBe(false);
  });
});

describe('sameRepo', () => {
  it('treats a clone URL with and without .git, a trailing slash or user info as the same repo', () => {
    expect(sameRepo('https://github.com/acme/config.git', 'https://github.com/acme/config')).toBe(true);
    expect(sameRepo('https://GitHub.com/acme/config/', 'https://git@github.com/acme/config.git')).toBe(true);
  });

  it('tells different repos apart', () => {
    expect(sameRepo('https://github.com/acme/config.git', 'https://github.com/acme/config-prod.git')).toBe(false);
    expect(sameRepo('http://127.0.0.1:9418/a.git', 'http://127.0.0.1:9419/a.git')).toBe(false);
  });
});
