import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';
import { GitMirror } from './git-mirror';

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .map((p) => readFileSync(p).toString('latin1'))
    .join('\n');
}

describe('GitMirror over smart HTTP (local git server)', () => {
  it('authenticates with credentials that end up nowhere on disk', async () => {
    const remote = await createGitRepo('mirror', { 'a.yaml': 'a: 1\n' });
    const { username, password } = localEnv().git;
    const cacheDir = mkdtempSync(join(tmpdir(), 'tidemark-mirror-'));
    const mirror = await GitMirror.open({ url: remote.url, cacheDir, credentials: { username, password } });
    const head = await mirror.fetch('main');
    expect(head).toBe(remote.head());
    const sha = await mirror.commit({ parent: head!, edits: [{ path: 'a.yaml', content: 'a: 2\n' }], message: 'a=2' });
    expect(await mirror.push(sha, 'main')).toEqual({ kind: 'pushed', sha });
    expect(remote.head()).toBe(sha);
    expect(allText(cacheDir)).not.toContain(password);
  });

  it('fails with git’s reason, and without the password, when the credentials are wrong', async () => {
    const remote = await createGitRepo('mirror-denied', { 'a.yaml': 'a: 1\n' });
    const wrong = 'not-the-password-4711';
    const mirror = await GitMirror.open({
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
});
