import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { GitMirror } from './git-mirror';

// These tests drive the real git CLI against a real bare repository reached over file://, so they need no server.
// The same API over smart HTTP with credentials is covered by git-mirror.int.test.ts against the local git server.

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: 'pipe',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
}

/** A bare "remote" with one commit on main, and a working clone of it that plays another writer. */
function makeRemote(): { url: string; other: string } {
  const root = mkdtempSync(join(tmpdir(), 'tidemark-git-'));
  const bare = join(root, 'remote.git');
  git(root, 'init', '--bare', '--quiet', '--initial-branch=main', bare);
  const other = join(root, 'other');
  git(root, 'clone', '--quiet', bare, other);
  git(other, 'checkout', '--quiet', '-b', 'main');
  writeFileSync(join(other, 'a.yaml'), 'a: 1 # keep me\n');
  writeFileSync(join(other, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  git(other, 'add', '.');
  git(other, 'commit', '--quiet', '-m', 'first');
  git(other, 'push', '--quiet', 'origin', 'main');
  return { url: `file://${bare}`, other };
}

describe('GitMirror', () => {
  let remote: { url: string; other: string };
  let mirror: GitMirror;
  beforeEach(async () => {
    remote = makeRemote();
    mirror = await GitMirror.open({ url: remote.url, cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-cache-')) });
  });

  it('fetches a branch tip and reads its files byte for byte', async () => {
    const head = await mirror.fetch('main');
    expect(head).toBe(git(remote.other, 'rev-parse', 'HEAD'));
    expect(await mirror.listFiles(head!)).toEqual(['a.yaml', 'run.sh']);
    const files = await mirror.readFiles(head!, ['a.yaml', 'missing.yaml']);
    expect([...files]).toEqual([['a.yaml', 'a: 1 # keep me\n']]);
  });

  it('says a branch does not exist instead of failing', async () => {
    expect(await mirror.fetch('no-such-branch')).toBeUndefined();
  });

  it('commits and pushes without a work tree, keeping file modes', async () => {
    const head = (await mirror.fetch('main'))!;
    const sha = await mirror.commit({
      parent: head,
      edits: [
        { path: 'a.yaml', content: 'a: 2 # keep me\n' },
        { path: 'run.sh', content: '#!/bin/sh\necho bye\n' },
        { path: 'new/b.yaml', content: 'b: 1\n' },
      ],
      message: 'Move a to 2\n\nbody',
    });
    expect(await mirror.push(sha, 'main')).toEqual({ kind: 'pushed', sha });
    git(remote.other, 'pull', '--quiet', 'origin', 'main');
    expect(readFileSync(join(remote.other, 'a.yaml'), 'utf8')).toBe('a: 2 # keep me\n');
    expect(readFileSync(join(remote.other, 'new/b.yaml'), 'utf8')).toBe('b: 1\n');
    expect(statSync(join(remote.other, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(git(remote.other, 'log', '-1', '--format=%an <%ae>|%s')).toBe(
      'Tidemark <tidemark@users.noreply.tidemark.dev>|Move a to 2',
    );
  });

  it('writes paths that need quoting', async () => {
    const head = (await mirror.fetch('main'))!;
    const path = 'odd/a "quoted" name\\x.yaml';
    const sha = await mirror.commit({ parent: head, edits: [{ path, content: 'q: 1\n' }], message: 'quote' });
    expect(await mirror.readFiles(sha, [path])).toEqual(new Map([[path, 'q: 1\n']]));
  });

  it('deletes a file when its edit has no content', async () => {
    const head = (await mirror.fetch('main'))!;
    const sha = await mirror.commit({ parent: head, edits: [{ path: 'a.yaml', content: null }], message: 'rm' });
    expect(await mirror.listFiles(sha)).toEqual(['run.sh']);
  });

  it('reports a rejected push when another writer moved the branch, and never overwrites their commit', async () => {
    const head = (await mirror.fetch('main'))!;
    writeFileSync(join(remote.other, 'c.yaml'), 'c: 1\n');
    git(remote.other, 'add', '.');
    git(remote.other, 'commit', '--quiet', '-m', 'other writer');
    git(remote.other, 'push', '--quiet', 'origin', 'main');
    const theirs = git(remote.other, 'rev-parse', 'HEAD');

    const sha = await mirror.commit({ parent: head, edits: [{ path: 'a.yaml', content: 'a: 3\n' }], message: 'late' });
    expect(await mirror.push(sha, 'main')).toEqual({ kind: 'rejected-non-fast-forward' });
    expect(await mirror.fetch('main')).toBe(theirs);
  });

  it('pushes a new branch', async () => {
    const head = (await mirror.fetch('main'))!;
    const sha = await mirror.commit({ parent: head, edits: [{ path: 'a.yaml', content: 'a: 4\n' }], message: 'pr' });
    expect(await mirror.push(sha, 'tidemark/web-1.2.3')).toEqual({ kind: 'pushed', sha });
    expect(await mirror.fetch('tidemark/web-1.2.3')).toBe(sha);
  });

  it('writes a revision into a plain folder', async () => {
    const head = (await mirror.fetch('main'))!;
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-tree-'));
    await mirror.checkoutTo(head, dir);
    expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toBe('a: 1 # keep me\n');
  });

  it('refuses a URL that carries credentials', async () => {
    await expect(GitMirror.open({ url: 'https://u:secret@example.com/r.git', cacheDir: tmpdir() })).rejects.toThrow(
      /has credentials in its URL/,
    );
    await expect(GitMirror.open({ url: 'https://u:secret@example.com/r.git', cacheDir: tmpdir() })).rejects.not.toThrow(
      /secret/,
    );
  });
});
