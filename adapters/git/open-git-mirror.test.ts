import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitMirror } from './git-mirror';
import { IsomorphicGitMirror } from './isomorphic-git-mirror';
import { chooseGitTransport, gitOnPath, openGitMirror } from './open-git-mirror';

const withGit = () => true;
const withoutGit = () => false;

describe('chooseGitTransport', () => {
  it('uses the git CLI where git is on PATH, and isomorphic-git where it is not (the Lambda runtime)', () => {
    expect(chooseGitTransport({}, withGit)).toBe('cli');
    expect(chooseGitTransport({}, withoutGit)).toBe('isomorphic');
  });

  it('follows TIDEMARK_GIT_TRANSPORT whatever is on PATH', () => {
    expect(chooseGitTransport({ TIDEMARK_GIT_TRANSPORT: 'isomorphic' }, withGit)).toBe('isomorphic');
    expect(chooseGitTransport({ TIDEMARK_GIT_TRANSPORT: 'cli' }, withoutGit)).toBe('cli');
    expect(chooseGitTransport({ TIDEMARK_GIT_TRANSPORT: '' }, withoutGit)).toBe('isomorphic');
  });

  it('refuses an unknown TIDEMARK_GIT_TRANSPORT, naming the values it takes', () => {
    expect(() => chooseGitTransport({ TIDEMARK_GIT_TRANSPORT: 'libgit2' }, withGit)).toThrow(
      "TIDEMARK_GIT_TRANSPORT: 'libgit2' is not a git transport. Set it to 'cli' or 'isomorphic'",
    );
  });
});

describe('gitOnPath', () => {
  it('finds an executable git in a PATH folder, and ignores a git file that is not executable', () => {
    const executable = mkdtempSync(join(tmpdir(), 'tidemark-path-'));
    writeFileSync(join(executable, 'git'), '#!/bin/sh\n');
    chmodSync(join(executable, 'git'), 0o755);
    const plain = mkdtempSync(join(tmpdir(), 'tidemark-path-'));
    writeFileSync(join(plain, 'git'), 'not a program');
    chmodSync(join(plain, 'git'), 0o644);
    expect(gitOnPath([plain, executable].join(delimiter))).toBe(true);
    expect(gitOnPath(plain)).toBe(false);
    expect(gitOnPath(undefined)).toBe(false);
  });
});

describe('openGitMirror', () => {
  const options = () => ({ url: 'https://git.example.com/config.git', cacheDir: mkdtempSync(join(tmpdir(), 'tm-')) });

  it('opens the CLI mirror when git is on PATH', async () => {
    expect(await openGitMirror(options(), { PATH: process.env.PATH })).toBeInstanceOf(GitMirror);
  });

  it('opens the isomorphic-git mirror when PATH has no git, as in the Lambda runtime', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tidemark-path-'));
    expect(await openGitMirror(options(), { PATH: empty })).toBeInstanceOf(IsomorphicGitMirror);
  });

  it('opens the isomorphic-git mirror when forced, even with git on PATH', async () => {
    const env = { PATH: process.env.PATH, TIDEMARK_GIT_TRANSPORT: 'isomorphic' };
    expect(await openGitMirror(options(), env)).toBeInstanceOf(IsomorphicGitMirror);
  });

  it('says why isomorphic-git cannot reach a file:// remote', async () => {
    const env = { TIDEMARK_GIT_TRANSPORT: 'isomorphic' };
    await expect(openGitMirror({ url: 'file:///srv/config.git', cacheDir: tmpdir() }, env)).rejects.toThrow(
      /uses file:, which isomorphic-git cannot reach\. Use the repository's HTTPS clone URL/,
    );
  });
});
