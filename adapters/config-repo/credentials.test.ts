import { describe, expect, it } from 'vitest';
import { gitCredentialsOf, gitHubApiUrl, parseConfigRepoSecret, parseWebhookSecret } from './credentials';

const settings = (provider: 'git' | 'github') => ({
  provider,
  url: 'https://git.example.com/acme/config.git',
  authSecretName: 'tidemark/config-repo',
});

describe('the config-repo secret', () => {
  it('is a token, with a username for a plain git server, or a GitHub App, as text or as parsed JSON', () => {
    expect(parseConfigRepoSecret(settings('git'), '{"token": "t0k3n", "username": "ci"}')).toEqual({
      token: 't0k3n',
      username: 'ci',
    });
    const app = { appId: '1234', privateKey: '-----BEGIN PRIVATE KEY-----', installationId: 42 };
    expect(parseConfigRepoSecret(settings('github'), app)).toEqual({ ...app, appId: 1234 });
  });

  it('names the secret and the expected shape, and never echoes the value', () => {
    const error = (() => {
      try {
        return parseConfigRepoSecret(settings('github'), '{"password": "hunter2"}');
      } catch (e) {
        return e;
      }
    })();
    expect(String(error)).toMatch(/Secret tidemark\/config-repo is not a config-repo credential/);
    expect(String(error)).not.toContain('hunter2');
    expect(() => parseConfigRepoSecret(settings('git'), { appId: 1, privateKey: 'k', installationId: 2 })).toThrow(
      /holds GitHub App credentials, but configRepo.provider is git/,
    );
  });

  it('gives git a token as the password of x-access-token on GitHub, and of the named (or a default) user elsewhere', async () => {
    expect(await gitCredentialsOf({ token: 'ghp_x' }, settings('github'))()).toEqual({
      username: 'x-access-token',
      password: 'ghp_x',
    });
    expect(await gitCredentialsOf({ token: 'glpat' }, settings('git'))()).toEqual({
      username: 'tidemark',
      password: 'glpat',
    });
    expect(await gitCredentialsOf({ token: 'pw', username: 'ci' }, settings('git'))()).toEqual({
      username: 'ci',
      password: 'pw',
    });
  });

  it('finds the REST API of github.com and of GitHub Enterprise Server from the clone URL', () => {
    expect(gitHubApiUrl('https://github.com/acme/config.git')).toBe('https://api.github.com');
    expect(gitHubApiUrl('https://ghe.example.com/acme/config.git')).toBe('https://ghe.example.com/api/v3');
  });
});

describe('the webhook secret', () => {
  it('is text; anything else names the secret', () => {
    expect(parseWebhookSecret('tidemark/webhook', 's3cret')).toBe('s3cret');
    expect(() => parseWebhookSecret('tidemark/webhook', '')).toThrow(/Secret tidemark\/webhook has no string value/);
    expect(() => parseWebhookSecret('tidemark/webhook', undefined)).toThrow(/has no string value/);
  });
});
