import { describe, expect, it } from 'vitest';
import { SyncRequest } from './sync-request';

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
