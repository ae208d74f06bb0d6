import { describe, expect, it } from 'vitest';
import {
  deploymentCreated,
  deploymentStatusCreated,
  deploymentsListed,
  statusCreated,
} from './fixtures/deployments-recordings';
import { type Exchange, replayGitHub } from './fixtures/replay-github';
import { GitHubDeployments } from './github-deployments';

// GitHub's REST API has no local emulator, so these tests replay recorded responses (trimmed from GitHub's documented
// examples, fixtures/deployments-recordings.ts) through Octokit's `fetch`, and fail on any request not in the recording.

const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

function open(exchanges: Exchange[]) {
  const replay = replayGitHub(exchanges);
  const github = new GitHubDeployments({
    repoUrl: 'https://github.com/acme/config.git',
    credentials: { token: 'ghs_fixture' },
    octokitOptions: { request: { fetch: replay.fetch, retries: 0 }, throttle: { enabled: false } },
  });
  return { github, replay };
}

describe('GitHubDeployments (recorded GitHub API responses)', () => {
  it('sets the commit status tidemark/<cluster> on the revision', async () => {
    const { github, replay } = open([statusCreated(sha, 'prod', 'success', 'shop/web: deployed')]);
    await github.setCommitStatus('prod', sha, 'success', 'shop/web: deployed');
    expect(replay.pending).toEqual([]);
  });

  it('creates a Deployment for the revision and cluster, without merging or waiting for checks', async () => {
    const { github, replay } = open([deploymentsListed(sha, 'prod'), deploymentCreated(7, sha, 'prod')]);
    expect(await github.deploymentFor('prod', sha, 'Tidemark: prod')).toBe(7);
    expect(replay.pending).toEqual([]);
  });

  it('reuses the Deployment a crashed attempt created, instead of creating a second', async () => {
    const { github, replay } = open([deploymentsListed(sha, 'prod', 7)]);
    expect(await github.deploymentFor('prod', sha, 'Tidemark: prod')).toBe(7);
    expect(replay.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('sets a Deployment state for the environment, inactivating by hand (GitHub does not in production)', async () => {
    const { github, replay } = open([deploymentStatusCreated(7, 'prod', 'inactive')]);
    await github.setDeploymentState(7, 'prod', 'inactive', 'Replaced by 1234567');
    expect(replay.pending).toEqual([]);
  });

  it('names the expected form of a URL that is not a GitHub repository', () => {
    expect(() => new GitHubDeployments({ repoUrl: 'https://github.com/acme', credentials: { token: 't' } })).toThrow(
      'https://github.com/acme does not name a GitHub repository. Use its clone URL, https://github.com/OWNER/REPO.git',
    );
  });
});
