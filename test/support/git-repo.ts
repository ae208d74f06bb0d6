import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { localGit, localGitAuthHeader } from '../../local/local-git';
import { localEnv, uniqueName } from './local-env';

export interface TestGitRepo {
  name: string;
  /** Clone URL without credentials. */
  url: string;
  /** Runs git in a scratch clone with the server's credentials (sent as a header, never in the URL). */
  git(cwd: string, ...args: string[]): string;
  /** Commits `files` (path → content; null deletes) on `branch` and pushes; returns the new commit sha. */
  commit(files: Record<string, string | null>, message?: string, branch?: string): string;
  /** The sha `branch` points at on the server. */
  head(branch?: string): string;
}

/** Basic-auth header value for the local git server. */
export function gitAuthHeader(): string {
  return localGitAuthHeader(localEnv().git);
}

/**
 * Creates a repository of its own on the real local git server, with `files` as its first commit on `main`.
 */
export async function createGitRepo(prefix: string, files: Record<string, string> = {}): Promise<TestGitRepo> {
  const env = localEnv();
  const name = uniqueName(prefix);
  const created = await fetch(`${env.git.url}/_admin/repos/${name}`, {
    method: 'POST',
    headers: { authorization: gitAuthHeader() },
  });
  if (!created.ok) throw new Error(`creating test repo ${name} failed: ${created.status} ${await created.text()}`);
  const url = `${env.git.url}/${name}.git`;
  const git = (cwd: string, ...args: string[]) =>
    localGit(env.git, cwd, { name: 'Test', email: 'test@localhost' })(...args);

  const commit = (changes: Record<string, string | null>, message = 'test commit', branch = 'main') => {
    const work = mkdtempSync(join(tmpdir(), 'tidemark-test-repo-'));
    try {
      git(work, 'init', '--quiet', `--initial-branch=${branch}`);
      git(work, 'remote', 'add', 'origin', url);
      const exists = git(work, 'ls-remote', 'origin', `refs/heads/${branch}`) !== '';
      if (exists) {
        git(work, 'fetch', '--quiet', 'origin', branch);
        git(work, 'checkout', '--quiet', '-B', branch, `origin/${branch}`);
      }
      for (const [path, content] of Object.entries(changes)) {
        const full = join(work, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git(work, 'add', '-A');
      git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
      git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
      return git(work, 'rev-parse', 'HEAD');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };
  const head = (branch = 'main') => git(tmpdir(), 'ls-remote', url, `refs/heads/${branch}`).split(/\s/)[0] ?? '';
  commit(files, 'initial commit');
  return { name, url, git, commit, head };
}
