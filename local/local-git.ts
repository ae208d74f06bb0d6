import { execFileSync } from 'node:child_process';
import type { LocalEnvironment } from './environment';

/** The basic-auth header value for the local git server's user. */
export function localGitAuthHeader(git: Pick<LocalEnvironment['git'], 'username' | 'password'>): string {
  return `Basic ${Buffer.from(`${git.username}:${git.password}`).toString('base64')}`;
}

/**
 * Runs the git command line as the local git server's user, in `cwd`, and returns its trimmed output. The password
 * travels in an HTTP header set for this one command (GIT_CONFIG_* environment), never in a URL, the argv or a repo's
 * config. Commits are made as `identity`.
 *
 * @example
 * localGit(env.git, workDir)('push', '--quiet', `${env.git.url}/config.git`, 'main');
 */
export function localGit(
  git: Pick<LocalEnvironment['git'], 'username' | 'password'>,
  cwd: string,
  identity = { name: 'Tidemark', email: 'tidemark@localhost' },
): (...args: string[]) => string {
  const env = {
    ...process.env,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: ${localGitAuthHeader(git)}`,
  };
  return (...args) =>
    execFileSync('git', ['-c', `user.name=${identity.name}`, '-c', `user.email=${identity.email}`, ...args], {
      cwd,
      stdio: 'pipe',
      env,
    })
      .toString()
      .trim();
}
