import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { gitServer } from '../../local/git-server';
import { GitMirror } from './git-mirror';
import { IsomorphicGitMirror } from './isomorphic-git-mirror';
import type { GitMirrorOptions, RepoMirror } from './repo-mirror';

// Both transports are held to one contract. The git CLI reaches a real bare repository over file://, so it needs no
// server. isomorphic-git has no file:// transport: it reaches the same kind of bare repository over smart HTTP through
// the local environment's git server (git's own `git http-backend`), started in this process on a loopback port.
// The same API against the shared local git server is covered by git-mirror.int.test.ts.

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

/** A bare "remote" `<root>/remote.git` with one commit on main, and a working clone of it that plays another writer. */
function makeRemote(): { root: string; other: string } {
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
  return { root, other };
}

/** How each transport opens a mirror of the remote in `root`. */
interface Transport {
  name: string;
  open(root: string, cacheDir: string): Promise<RepoMirror>;
  /** Opens a mirror as-is, for the checks on the options themselves. */
  openRaw(options: GitMirrorOptions): Promise<RepoMirror>;
  backslashPaths: 'written' | 'refused';
}

const credentials = { username: 'tidemark', password: 'unit-test-password' };
/** One loopback git server per test remote; all closed when the suite ends. */
const servers: Server[] = [];

const transports: Transport[] = [
  {
    name: 'git CLI',
    open: (root, cacheDir) => GitMirror.open({ url: `file://${join(root, 'remote.git')}`, cacheDir }),
    openRaw: (options) => GitMirror.open(options),
    backslashPaths: 'written',
  },
  {
    name: 'isomorphic-git',
    open: async (root, cacheDir) => {
      const server = gitServer({ root, ...credentials });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/remote.git`;
      return IsomorphicGitMirror.open({ url, cacheDir, credentials });
    },
    openRaw: (options) => IsomorphicGitMirror.open(options),
    backslashPaths: 'refused',
  },
];

afterAll(() => {
  for (const server of servers) server.close();
});

describe.each(transports)('git mirror over $name', (transport) => {
  let remote: { root: string; other: string };
  let mirror: RepoMirror;
  beforeEach(async () => {
    remote = makeRemote();
    mirror = await transport.open(remote.root, mkdtempSync(join(tmpdir(), 'tidemark-cache-')));
  });

  it('fetches a branch tip and reads its files byte for byte', async () => {
    const head = await mirror.fetch('main');
    expect(head).toBe(git(remote.other, 'rev-parse', 'HEAD'));
    expect(await mirror.listFiles(head!)).toEqual(['a.yaml', 'run.sh']);
    const files = await mirror.readFiles(head!, ['a.yaml', 'missing.yaml']);
    expect([...files]).toEqual([['a.yaml', 'a: 1 # keep me\n']]);
  });

  it('reads folders and files in tree order, each once, whatever order they are asked in', async () => {
    const head = (await mirror.fetch('main'))!;
    const sha = await mirror.commit({
      parent: head,
      edits: [
        { path: 'apps/web/b.yaml', content: 'b\n' },
        { path: 'apps/web/a.yaml', content: 'a\n' },
        { path: 'apps/web-x.yaml', content: 'x\n' },
        { path: 'apps/api/c.yaml', content: 'c\n' },
      ],
      message: 'apps',
    });
    const files = await mirror.readFiles(sha, ['apps/web', 'run.sh', 'apps/web/a.yaml', 'apps/we']);
    expect([...files.keys()]).toEqual(['apps/web/a.yaml', 'apps/web/b.yaml', 'run.sh']);
    expect(await mirror.listFiles(sha, ['apps'])).toEqual([
      'apps/api/c.yaml',
      'apps/web-x.yaml',
      'apps/web/a.yaml',
      'apps/web/b.yaml',
    ]);
  });

  it('fetches the new tip after another writer pushed, and reads it', async () => {
    expect(await mirror.fetch('main')).toBeDefined();
    writeFileSync(join(remote.other, 'a.yaml'), 'a: 5\n');
    git(remote.other, 'commit', '--quiet', '-am', 'other writer');
    git(remote.other, 'push', '--quiet', 'origin', 'main');
    const head = await mirror.fetch('main');
    expect(head).toBe(git(remote.other, 'rev-parse', 'HEAD'));
    expect(await mirror.readFiles(head!, ['a.yaml'])).toEqual(new Map([['a.yaml', 'a: 5\n']]));
    expect((await mirror.committedAt(head!)).getTime()).toBe(
      Number(git(remote.other, 'log', '-1', '--format=%ct')) * 1000,
    );
    expect(await mirror.subject(head!)).toBe('other writer');
  });

  it("reads a commit's subject as git prints it: the first paragraph, its lines joined", async () => {
    const head = (await mirror.fetch('main'))!;
    const sha = await mirror.commit({ parent: head, edits: [], message: 'Update web\nto 1.2.0\n\nBody text.\n' });
    expect(await mirror.subject(sha)).toBe('Update web to 1.2.0');
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
    const path = 'odd/a "quoted" name\t\u00e9.yaml';
    const sha = await mirror.commit({ parent: head, edits: [{ path, content: 'q: 1\n' }], message: 'quote' });
    expect(await mirror.readFiles(sha, [path])).toEqual(new Map([[path, 'q: 1\n']]));
  });

  // git refuses to check out a path with a backslash (core.protectNTFS) and isomorphic-git refuses to read a tree
  // holding one, so the pure-JS transport must not write one; the CLI writes what fast-import accepts.
  it(`${transport.backslashPaths === 'written' ? 'writes' : 'refuses, with the reason,'} a path with a backslash`, async () => {
    const head = (await mirror.fetch('main'))!;
    const path = 'odd/back\\slash.yaml';
    const committed = mirror.commit({ parent: head, edits: [{ path, content: 'b: 1\n' }], message: 'backslash' });
    if (transport.backslashPaths === 'written') {
      expect(await mirror.readFiles(await committed, [path])).toEqual(new Map([[path, 'b: 1\n']]));
    } else {
      await expect(committed).rejects.toThrow(/backslash segment, which git refuses to check out/);
    }
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

  it('writes a revision into a plain folder, with its executables and symlinks', async () => {
    symlinkSync('a.yaml', join(remote.other, 'link.yaml'));
    git(remote.other, 'add', 'link.yaml');
    git(remote.other, 'commit', '--quiet', '-m', 'link');
    git(remote.other, 'push', '--quiet', 'origin', 'main');
    const head = (await mirror.fetch('main'))!;
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-tree-'));
    await mirror.checkoutTo(head, dir);
    expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toBe('a: 1 # keep me\n');
    expect(statSync(join(dir, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(dir, 'a.yaml')).mode & 0o111).toBe(0);
    expect(readlinkSync(join(dir, 'link.yaml'))).toBe('a.yaml');
    expect(readdirSync(dir).sort()).toEqual(['a.yaml', 'link.yaml', 'run.sh']);
  });

  it('refuses a URL that carries credentials', async () => {
    await expect(transport.openRaw({ url: 'https://u:secret@example.com/r.git', cacheDir: tmpdir() })).rejects.toThrow(
      /has credentials in its URL/,
    );
    await expect(
      transport.openRaw({ url: 'https://u:secret@example.com/r.git', cacheDir: tmpdir() }),
    ).rejects.not.toThrow(/secret/);
  });
});
