import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LocalEnvironment } from '../../local/environment';
import { localGit, localGitAuthHeader } from '../../local/local-git';

/** A repository on the local git server with a working clone to commit from. */
export interface BenchRepo {
  url: string;
  /** The working clone. */
  dir: string;
  /** Writes the files (path → text), commits and pushes; returns the new head. */
  commit(files: ReadonlyMap<string, string>, message: string): string;
  remove(): void;
}

/**
 * Creates `<name>.git` on the local git server (basic auth, as every benchmark's tools read it) holding `files`, in
 * one commit on `main`.
 */
export async function createBenchRepo(
  git: LocalEnvironment['git'],
  name: string,
  files: ReadonlyMap<string, string>,
): Promise<BenchRepo & { head: string }> {
  const created = await fetch(`${git.url}/_admin/repos/${name}`, {
    method: 'POST',
    headers: { authorization: localGitAuthHeader(git) },
  });
  if (!created.ok) throw new Error(`creating ${name} on the local git server failed: ${created.status}`);
  const url = `${git.url}/${name}.git`;
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const run = localGit(git, dir, { name: 'Bench', email: 'bench@localhost' });
  run('init', '--quiet', '--initial-branch=main');
  run('remote', 'add', 'origin', url);
  const commit = (changed: ReadonlyMap<string, string>, message: string) => {
    for (const [path, text] of changed) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    run('add', '-A');
    run('commit', '--quiet', '-m', message);
    run('push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    return run('rev-parse', 'HEAD');
  };
  const head = commit(files, 'bench objects');
  return { url, dir, head, commit, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
