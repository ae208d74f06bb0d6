import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';
import { describeConfigRepoContract, SEED } from './config-repo.contract';
import { GitConfigRepo } from './git';

// The `git` provider against the real local smart-HTTP git server, with the server's credentials.
describeConfigRepoContract('git provider on the local git server', async () => {
  const remote = await createGitRepo('config-repo', SEED);
  const { username, password } = localEnv().git;
  const repo = await GitConfigRepo.open({
    url: remote.url,
    branch: 'main',
    credentials: { username, password },
    cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-config-repo-test-')),
  });
  return { repo, otherWriter: async (files) => void remote.commit(files, 'other writer') };
});
