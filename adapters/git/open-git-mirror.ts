import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GitMirror } from './git-mirror';
import { IsomorphicGitMirror } from './isomorphic-git-mirror';
import type { GitMirrorOptions, RepoMirror } from './repo-mirror';

/** How a mirror reaches git: the git CLI, or isomorphic-git (pure JavaScript, where no git binary exists). */
export type GitTransport = 'cli' | 'isomorphic';

/**
 * The transport to use: `TIDEMARK_GIT_TRANSPORT` when set, otherwise the git CLI when a `git` binary is on PATH and
 * isomorphic-git when not (the Lambda runtime). The CLI is preferred where it exists: it is what the agent and tests
 * have always used, and it is faster on large repositories.
 */
export function chooseGitTransport(env: NodeJS.ProcessEnv, gitOnPath: () => boolean): GitTransport {
  const forced = env.TIDEMARK_GIT_TRANSPORT;
  if (forced === 'cli' || forced === 'isomorphic') return forced;
  if (forced !== undefined && forced !== '') {
    throw new Error(
      `TIDEMARK_GIT_TRANSPORT: '${forced}' is not a git transport. ` +
        "Set it to 'cli' or 'isomorphic', or unset it to use git when it is on PATH",
    );
  }
  return gitOnPath() ? 'cli' : 'isomorphic';
}

/**
 * Opens the mirror of `options.url` over the transport {@link chooseGitTransport} picks. Every Lambda code path
 * opens its mirror here, so the choice is made in one place.
 *
 * @example
 * const mirror = await openGitMirror({ url: 'https://git.example.com/config.git', cacheDir: '/tmp/config', credentials });
 * const head = await mirror.fetch('main');
 */
export function openGitMirror(options: GitMirrorOptions, env: NodeJS.ProcessEnv = process.env): Promise<RepoMirror> {
  return chooseGitTransport(env, () => gitOnPath(env.PATH)) === 'cli'
    ? GitMirror.open(options)
    : IsomorphicGitMirror.open(options);
}

// Looked up once per PATH: a Lambda container's PATH does not change, and a lookup is a stat per PATH entry.
const found = new Map<string, boolean>();

/** Whether an executable `git` is in one of the folders of `path`, without starting a process. */
export function gitOnPath(path: string | undefined): boolean {
  const key = path ?? '';
  let known = found.get(key);
  if (known === undefined) {
    known = key
      .split(delimiter)
      .filter(Boolean)
      .some((dir) => {
        try {
          accessSync(join(dir, 'git'), constants.X_OK);
          return true;
        } catch {
          return false;
        }
      });
    found.set(key, known);
  }
  return known;
}
