import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createGitRepo, gitAuthHeader, type TestGitRepo } from './git-repo';

/** The files of `examples/config-repo`, path → text, as the seed of a test's own config repo. */
export function exampleConfigRepo(): Record<string, string> {
  const root = new URL('../../examples/config-repo/', import.meta.url).pathname;
  const files: Record<string, string> = {};
  for (const path of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const full = join(root, path);
    if (statSync(full).isFile()) files[relative(root, full)] = readFileSync(full, 'utf8');
  }
  return files;
}

/** A config repo of the test's own on the local git server, plus ways to look at what landed in it. */
export interface TestConfigRepo extends TestGitRepo {
  /** A file at the tip of `branch`, or undefined. */
  file(path: string, branch?: string): string | undefined;
  /** Commits on `branch`, newest first: subject, full message and the files each changed. */
  history(branch?: string): { subject: string; message: string; files: string[] }[];
}

export async function createConfigRepo(prefix: string, files: Record<string, string>): Promise<TestConfigRepo> {
  const remote = await createGitRepo(prefix, files);
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', `http.extraHeader=Authorization: ${gitAuthHeader()}`, ...args], {
      cwd,
      stdio: 'pipe',
    }).toString();
  const withClone = <T>(branch: string, work: (dir: string) => T): T | undefined => {
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-inspect-'));
    try {
      try {
        git(dir, 'clone', '--quiet', '--branch', branch, remote.url, 'repo');
      } catch {
        return undefined; // no such branch
      }
      return work(join(dir, 'repo'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return {
    ...remote,
    file: (path, branch = 'main') =>
      withClone(branch, (dir) => {
        try {
          return readFileSync(join(dir, path), 'utf8');
        } catch {
          return undefined;
        }
      }),
    history: (branch = 'main') =>
      withClone(branch, (dir) =>
        git(dir, 'log', '--format=%H')
          .split('\n')
          .filter(Boolean)
          .map((sha) => {
            const message = git(dir, 'show', '-s', '--format=%B', sha).trimEnd();
            const files = git(dir, 'diff-tree', '--root', '--no-commit-id', '--name-only', '-r', sha);
            return { subject: message.split('\n')[0]!, message, files: files.split('\n').filter(Boolean) };
          }),
      ) ?? [],
  };
}
