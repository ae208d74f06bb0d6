import { describe, expect, it } from 'vitest';
import { GitConfigRepo } from './git';
import { GitHubConfigRepo } from './github';
import { openConfigRepo } from './open-config-repo';

const settings = (provider: 'git' | 'github') => ({
  provider,
  url: 'https://git.example.com/acme/config.git',
  branch: 'main',
  authSecretName: 'tidemark/config-repo',
});

describe('openConfigRepo', () => {
  it('builds the provider the config names, from the JSON secret', async () => {
    expect(await openConfigRepo(settings('git'), '{"token": "t0k3n", "username": "ci"}')).toBeInstanceOf(GitConfigRepo);
    expect(await openConfigRepo(settings('github'), { token: 't0k3n' })).toBeInstanceOf(GitHubConfigRepo);
    const app = { appId: '1234', privateKey: '-----BEGIN PRIVATE KEY-----', installationId: 42 };
    expect(await openConfigRepo(settings('github'), JSON.stringify(app))).toBeInstanceOf(GitHubConfigRepo);
  });

  it('names the secret and the expected shape, and never echoes the value', async () => {
    const error = await openConfigRepo(settings('git'), '{"password": "hunter2"}').catch((e: Error) => e);
    expect(String(error)).toMatch(/Secret tidemark\/config-repo is not a config-repo credential\. Store JSON such as/);
    expect(String(error)).not.toContain('hunter2');
    await expect(openConfigRepo(settings('git'), { appId: 1, privateKey: 'k', installationId: 2 })).rejects.toThrow(
      /holds GitHub App credentials, but configRepo.provider is git/,
    );
  });
});
