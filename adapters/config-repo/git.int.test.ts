import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';
import { describeConfigRepoContract, SEED } from './config-repo.contract';
import { GitConfigRepo } from './git';

// The `git` provider against the real local smart-HTTP git server, with the server's credentials, once per git
// transport: the CLI (the agent, a developer machine) and isomorphic-git (the Lambda runtime, which has no git).
// The transport is forced the way an operator would, through TIDEMARK_GIT_TRANSPORT.
for (const transport of ['cli', 'isomorphic'] as const) {
  describeConfigRepoContract(`git provider over ${transport} git on the local git server`, async () => {
    vi.stubEnv('TIDEMARK_GIT_TRANSPORT', transport);
    const remote = await createGitRepo('config-repo', SEED);
    const { username, password } = localEnv().git;
    const repo = await GitConfigRepo.open({
      url: remote.url,
      branch: 'main',
      credentials: { username, password },
      cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-config-repo-test-')),
    });
    vi.unstubAllEnvs();
    return { repo, otherWriter: async (files) => void remote.commit(files, 'other writer') };
  });
}
