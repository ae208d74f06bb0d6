import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type GitCredentials, GitError, runGit } from './run-git';

/** A change to one file of a commit: new content, or `null` to delete the file. */
export interface FileEdit {
  path: string;
  content: string | null;
}

/** Who a commit is from. */
export interface GitIdentity {
  name: string;
  email: string;
}

/**
 * How a push ended. A push never forces, so a branch that moved since our read is an expected outcome, not an
 * exception: the caller recomputes its change on the new head and tries again.
 */
export type PushOutcome = { kind: 'pushed'; sha: string } | { kind: 'rejected-non-fast-forward' };

export interface GitMirrorOptions {
  /** HTTPS (or file://) URL of the remote repository, without credentials in it. */
  url: string;
  /** Folder for the local bare repository; reused across calls (and Lambda invocations) so fetches are incremental. */
  cacheDir: string;
  credentials?: GitCredentials;
}

const TIDEMARK_IDENTITY: GitIdentity = { name: 'Tidemark', email: 'tidemark@users.noreply.tidemark.dev' };

/**
 * A shallow, bare local copy of one remote repository, driven through the real `git` CLI. It fetches branch tips,
 * reads files at a revision, writes commits without a work tree, and pushes them without force.
 *
 * One process should use a cache folder at a time: git locks its refs, and a second writer would fail, not corrupt.
 *
 * @example
 * const mirror = await GitMirror.open({ url: 'https://git.example.com/config.git', cacheDir: '/tmp/config', credentials });
 * const head = await mirror.fetch('main');
 * const files = await mirror.readFiles(head!, ['clusters/dev/web/deployment.yaml']);
 * const sha = await mirror.commit({ parent: head!, edits: [{ path: 'a.yaml', content: 'a: 1\n' }], message: 'Set a' });
 * const outcome = await mirror.push(sha, 'main'); // { kind: 'pushed', sha } or { kind: 'rejected-non-fast-forward' }
 */
export class GitMirror {
  private constructor(
    readonly url: string,
    readonly gitDir: string,
    private readonly credentials: GitCredentials | undefined,
  ) {}

  /** Opens the cache folder, creating an empty bare repository there on first use. */
  static async open(options: GitMirrorOptions): Promise<GitMirror> {
    assertNoCredentialsInUrl(options.url);
    const exists = await stat(join(options.cacheDir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(options.cacheDir, { recursive: true });
      await runGit(['init', '--bare', '--quiet', options.cacheDir]);
    }
    return new GitMirror(options.url, options.cacheDir, options.credentials);
  }

  /**
   * Fetches the tip of `branch` (depth 1: only the files of the tip travel, whatever the history length) and
   * returns its commit id, or `undefined` when the remote has no such branch.
   */
  async fetch(branch: string): Promise<string | undefined> {
    const ref = `refs/remotes/origin/${branch}`;
    try {
      await this.git(['fetch', '--quiet', '--no-tags', '--depth=1', this.url, `+refs/heads/${branch}:${ref}`], true);
    } catch (e) {
      if (e instanceof GitError && /couldn't find remote ref/i.test(e.stderr)) {
        await this.git(['update-ref', '-d', ref]);
        return undefined;
      }
      throw e;
    }
    return (await this.git(['rev-parse', '--verify', `${ref}^{commit}`])).stdout.toString('utf8').trim();
  }

  /** Paths of the files at `revision`, all of them or those under the given folders or files. */
  async listFiles(revision: string, under: readonly string[] = []): Promise<string[]> {
    const out = await this.git(['ls-tree', '-r', '-z', '--name-only', revision, '--', ...under]);
    return out.stdout.toString('utf8').split('\0').filter(Boolean);
  }

  /** The text of the given files at `revision`. A path that does not exist there is absent from the map. */
  async readFiles(revision: string, paths: readonly string[]): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    if (paths.length === 0) return files;
    // One `cat-file --batch` process for all files: a 2,000-file repo is read in one round trip, not 2,000.
    const input = paths.map((p) => `${revision}:${p}\n`).join('');
    const out = (await this.git(['cat-file', '--batch'], false, input)).stdout;
    let at = 0;
    for (const path of paths) {
      const eol = out.indexOf(0x0a, at);
      const header = out.subarray(at, eol).toString('utf8');
      at = eol + 1;
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) continue;
      const [, type, size] = header.split(' ');
      const length = Number(size);
      if (type === 'blob') files.set(path, out.subarray(at, at + length).toString('utf8'));
      at += length + 1;
    }
    return files;
  }

  /** Writes the files of `revision` into `dir` (created if missing), as a plain folder without `.git`. */
  async checkoutTo(revision: string, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await this.withIndex(async (env) => {
      await this.git(['read-tree', revision], false, undefined, env);
      await runGit(['checkout-index', '--all', '--force'], { gitDir: this.gitDir, workTree: dir, env });
    });
  }

  /**
   * Writes a commit whose parent is `parent` and whose tree is the parent's with `edits` applied. Nothing is pushed.
   * File modes of edited files are kept (an executable stays executable).
   */
  async commit(change: {
    parent: string;
    edits: readonly FileEdit[];
    message: string;
    author?: GitIdentity;
  }): Promise<string> {
    const author = change.author ?? TIDEMARK_IDENTITY;
    const modes = await this.modesOf(
      change.parent,
      change.edits.map((e) => e.path),
    );
    const lines: string[] = [];
    for (const edit of change.edits) {
      if (edit.content === null) {
        lines.push(`0 ${'0'.repeat(40)}\t${edit.path}`);
        continue;
      }
      const blob = (await this.git(['hash-object', '-w', '--stdin'], false, edit.content)).stdout.toString().trim();
      lines.push(`${modes.get(edit.path) ?? '100644'} ${blob}\t${edit.path}`);
    }
    const tree = await this.withIndex(async (env) => {
      await this.git(['read-tree', change.parent], false, undefined, env);
      await this.git(['update-index', '--index-info'], false, `${lines.join('\n')}\n`, env);
      return (await this.git(['write-tree'], false, undefined, env)).stdout.toString().trim();
    });
    const identity = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: TIDEMARK_IDENTITY.name,
      GIT_COMMITTER_EMAIL: TIDEMARK_IDENTITY.email,
    };
    const out = await this.git(['commit-tree', tree, '-p', change.parent, '-F', '-'], false, change.message, identity);
    return out.stdout.toString().trim();
  }

  /**
   * Pushes `commit` to `branch` without force: the remote accepts it only if the branch still points at the commit's
   * parent (or does not exist yet). Any other refusal (a protected branch, a hook) is an error, not an outcome.
   */
  async push(commit: string, branch: string): Promise<PushOutcome> {
    const target = `refs/heads/${branch}`;
    const result = await this.git(['push', '--porcelain', this.url, `${commit}:${target}`], true, undefined, {}, [1]);
    const line = result.stdout
      .toString('utf8')
      .split('\n')
      .find((l) => l.includes(`:${target}\t`));
    const flag = line?.[0];
    if (result.exitCode === 0 && line && flag !== '!') {
      // Keep our own view of the branch current, so the next read needs no fetch when no one else wrote.
      await this.git(['update-ref', `refs/remotes/origin/${branch}`, commit]);
      return { kind: 'pushed', sha: commit };
    }
    if (line && flag === '!' && /\[rejected\] \((fetch first|non-fast-forward|stale info)\)/.test(line)) {
      return { kind: 'rejected-non-fast-forward' };
    }
    // Two pushes that pass the fast-forward check at once race for the ref lock; the server's compare-and-swap
    // fails for the loser ("failed to update ref", "cannot lock ref"). For us that is the same news: the branch moved.
    if (line && flag === '!' && /\[remote rejected\] \((failed to update ref|cannot lock ref[^)]*)\)/.test(line)) {
      return { kind: 'rejected-non-fast-forward' };
    }
    throw new GitError(['push'], result.exitCode, `${result.stderr}\n${line ?? ''}`);
  }

  private async modesOf(revision: string, paths: readonly string[]): Promise<Map<string, string>> {
    const out = await this.git(['ls-tree', '-z', '--full-tree', revision, '--', ...paths]);
    const modes = new Map<string, string>();
    for (const entry of out.stdout.toString('utf8').split('\0').filter(Boolean)) {
      const [meta, path] = entry.split('\t');
      if (meta && path) modes.set(path, meta.split(' ')[0]!);
    }
    return modes;
  }

  private async withIndex<T>(work: (env: Record<string, string>) => Promise<T>): Promise<T> {
    // A private index per operation: the bare repository has no shared index, and two operations must not share one.
    const indexFile = join(this.gitDir, `tidemark-index-${randomUUID()}`);
    try {
      return await work({ GIT_INDEX_FILE: indexFile });
    } finally {
      await rm(indexFile, { force: true });
    }
  }

  private git(
    args: readonly string[],
    remote = false,
    input?: string,
    env: Record<string, string> = {},
    allowExitCodes: readonly number[] = [],
  ) {
    return runGit(args, {
      gitDir: this.gitDir,
      credentials: remote ? this.credentials : undefined,
      input,
      env,
      allowExitCodes,
    });
  }
}

function assertNoCredentialsInUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw new Error(`git remote '${url}' is not a URL. Use the repository's HTTPS clone URL`, { cause: e });
  }
  if (parsed.username || parsed.password) {
    throw new Error(
      `git remote ${parsed.protocol}//${parsed.host}${parsed.pathname} has credentials in its URL. ` +
        'Remove them from the URL and pass them as credentials, so they never reach logs or git config',
    );
  }
}
