import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeConfigRepoContract } from './config-repo.contract';
import { type Exchange, recordings } from './fixtures/github-recordings';
import { GitHubConfigRepo, type GitHubCredentials } from './github';

// GitHub's REST API has no local emulator, so this suite is the one place a mock is allowed: Octokit's `fetch` replays
// the fixture responses of fixtures/github-recordings.ts (trimmed from GitHub's documented example responses) in
// order, and fails the test on any request the recording does not expect. The git provider runs the same contract
// suite against the real local git server (git.int.test.ts).

/** A `fetch` that answers from a recording and checks each request against it. */
function replay(exchanges: Exchange[]) {
  const pending = [...exchanges];
  const authorizations: string[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const path = decodeURIComponent(url.pathname) + url.search;
    authorizations.push(new Headers(init?.headers).get('authorization') ?? '');
    const next = pending.shift();
    if (!next) throw new Error(`unexpected request after the recording ended: ${method} ${path}`);
    expect(`${method} ${path}`).toBe(
      `${next.method} ${decodeURIComponent(next.path.split('?')[0]!)}${next.path.includes('?') ? `?${next.path.split('?')[1]}` : ''}`,
    );
    if (next.expectBody) expect(JSON.parse(String(init?.body))).toMatchObject(next.expectBody);
    return new Response(JSON.stringify(next.body), {
      status: next.status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  };
  return { fetch, pending, authorizations };
}

const open = (exchanges: Exchange[], credentials: GitHubCredentials = { token: 'ghp_fixture' }) => {
  const r = replay(exchanges);
  const repo = new GitHubConfigRepo({
    url: 'https://github.com/acme/config.git',
    branch: 'main',
    credentials,
    // No write throttling in replay: the plugin spaces GitHub writes a second apart, which only slows the test down.
    octokitOptions: { request: { fetch: r.fetch, retries: 0 }, throttle: { enabled: false } },
  });
  return { repo, pending: r.pending, authorizations: r.authorizations };
};

describeConfigRepoContract('github provider on recorded GitHub API responses', async () => {
  const name = expect.getState().currentTestName?.split(' > ').at(-1) ?? '';
  const recording = recordings[name];
  if (!recording) throw new Error(`no GitHub recording for the contract test '${name}'`);
  // The recording already holds the other writer's commit (the next read returns it), so there is nothing to do here.
  return { repo: open(recording).repo, otherWriter: async () => {} };
});

describe('GitHubConfigRepo file modes (recorded GitHub API responses)', () => {
  it('keeps the mode of each file it edits', async () => {
    const { repo, pending } = open(recordings['keeps the mode of each file it edits']!);
    const head = await repo.read(['clusters/dev']);
    expect(head?.modes).toEqual(new Map([['clusters/dev/deploy.sh', '100755']]));
    const outcome = await repo.commit(
      [
        { path: 'clusters/dev/deploy.sh', content: '#!/bin/sh\nkubectl apply -f web.yaml # web:1.0.1\n' },
        { path: 'clusters/dev/web.yaml', content: 'image: acme.io/web:1.0.1\n' },
        { path: 'clusters/dev/new.yaml', content: 'kind: ConfigMap\n' },
      ],
      head!,
      'Update web to 1.0.1',
    );
    expect(outcome).toEqual({ kind: 'committed', sha: expect.any(String), branch: 'main' });
    expect(pending).toEqual([]);
  });
});

describe('GitHubConfigRepo pull requests (recorded GitHub API responses)', () => {
  it('opens a pull request for a branch, then updates the open one instead of opening another', async () => {
    const { repo, pending } = open(
      recordings['opens a pull request for a branch, then updates the open one instead of opening another']!,
    );
    const spec = { branch: 'tidemark/web-prod', base: 'main', body: 'moves web' };
    expect(await repo.pullRequest({ ...spec, title: 'Update web-prod to 1.0.1' })).toEqual({
      kind: 'opened',
      number: 1347,
      url: 'https://github.com/acme/config/pull/1347',
    });
    expect(await repo.pullRequest({ ...spec, title: 'Update web-prod to 1.0.2' })).toMatchObject({
      kind: 'updated',
      number: 1347,
    });
    expect(pending).toEqual([]);
  });

  it('authenticates as a GitHub App installation with a token minted from the app key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const { repo, pending, authorizations } = open(
      [
        // docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app (example response, trimmed)
        {
          method: 'POST',
          path: '/app/installations/42/access_tokens',
          status: 201,
          body: {
            token: 'ghs_16C7e42F292c6912E7710c838347Ae178B4a',
            expires_at: '2099-01-01T00:00:00Z',
            permissions: { contents: 'write', pull_requests: 'write' },
            repository_selection: 'selected',
          },
        },
        {
          method: 'GET',
          path: '/repos/acme/config/git/ref/heads/tidemark/none',
          status: 404,
          body: { message: 'Not Found', status: '404' },
        },
      ],
      { appId: 1234, privateKey, installationId: 42 },
    );
    expect(await repo.read(['clusters'], 'tidemark/none')).toBeUndefined();
    expect(pending).toEqual([]);
    expect(authorizations).toEqual([
      expect.stringMatching(/^bearer ey/),
      'token ghs_16C7e42F292c6912E7710c838347Ae178B4a',
    ]);
  });

  it('refuses a URL that names no repository', () => {
    expect(
      () => new GitHubConfigRepo({ url: 'https://github.com/acme', branch: 'main', credentials: { token: 't' } }),
    ).toThrow(/does not name a GitHub repository/);
  });
});
