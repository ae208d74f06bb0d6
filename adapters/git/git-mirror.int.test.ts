import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';
import { GitMirror } from './git-mirror';
import { IsomorphicGitMirror } from './isomorphic-git-mirror';
import type { GitMirrorOptions, RepoMirror } from './repo-mirror';

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .map((p) => readFileSync(p).toString('latin1'))
    .join('\n');
}

const transports: { name: string; open(options: GitMirrorOptions): Promise<RepoMirror> }[] = [
  { name: 'the git CLI', open: (options) => GitMirror.open(options) },
  { name: 'isomorphic-git', open: (options) => IsomorphicGitMirror.open(options) },
];

describe.each(transports)('git mirror over smart HTTP with $name (local git server)', ({ open }) => {
  it('authenticates with credentials that end up nowhere on disk', async () => {
    const remote = await createGitRepo('mirror', { 'a.yaml': 'a: 1\n' });
    const { username, password } = localEnv().git;
    const cacheDir = mkdtempSync(join(tmpdir(), 'tidemark-mirror-'));
    const mirror = await open({ url: remote.url, cacheDir, credentials: { username, password } });
    const head = await mirror.fetch('main');
    expect(head).toBe(remote.head());
    const sha = await mirror.commit({ parent: head!, edits: [{ path: 'a.yaml', content: 'a: 2\n' }], message: 'a=2' });
    expect(await mirror.push(sha, 'main')).toEqual({ kind: 'pushed', sha });
    expect(remote.head()).toBe(sha);
    expect(allText(cacheDir)).not.toContain(password);
  });

  it('fails with the server’s reason, and without the password, when the credentials are wrong', async () => {
    const remote = await createGitRepo('mirror-denied', { 'a.yaml': 'a: 1\n' });
    const wrong = 'not-the-password-4711';
    const mirror = await open({
      url: remote.url,
      cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-mirror-')),
      credentials: { username: 'tidemark', password: wrong },
    });
    const error = await mirror.fetch('main').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/git fetch failed .*(Authentication failed|401)/);
    expect(error?.message).not.toContain(wrong);
  });

  it('reports a rejected push when the server’s branch moved after our fetch, and keeps the other commit', async () => {
    const remote = await createGitRepo('mirror-race', { 'a.yaml': 'a: 1\n' });
    const { username, password } = localEnv().git;
    const mirror = await open({
      url: remote.url,
      cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-mirror-')),
      credentials: { username, password },
    });
    const head = (await mirror.fetch('main'))!;
    const theirs = remote.commit({ 'b.yaml': 'b: 1\n' }, 'other writer');
    const sha = await mirror.commit({ parent: head, edits: [{ path: 'a.yaml', content: 'a: 3\n' }], message: 'late' });
    expect(await mirror.push(sha, 'main')).toEqual({ kind: 'rejected-non-fast-forward' });
    expect(remote.head()).toBe(theirs);
  });
});
