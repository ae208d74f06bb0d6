import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NOT_UTF8_REASON, SYMLINK_MODE, SYMLINK_REASON, type UnreadFile, utf8Text } from './file-text';
import {
  assertNoCredentialsInUrl,
  type CommitDescription,
  type FetchOptions,
  type FileEdit,
  type GitIdentity,
  type GitMirrorOptions,
  oneFetchAtATime,
  type PushOutcome,
  type RepoMirror,
  remoteDeadlineMs,
  TIDEMARK_IDENTITY,
} from './repo-mirror';
import { type GitCredentials, GitError, type RunGitOptions, runGit } from './run-git';

export type { FileEdit, GitIdentity, GitMirrorOptions, PushOutcome } from './repo-mirror';

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
export class GitMirror implements RepoMirror {
  private constructor(
    readonly url: string,
    readonly gitDir: string,
    private readonly credentials: GitCredentials | undefined,
    private readonly stalledAfterSeconds: number | undefined,
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
    return new GitMirror(options.url, options.cacheDir, options.credentials, options.stalledAfterSeconds);
  }

  /**
   * Fetches the tip of `branch` (depth 1: only the files of the tip travel, whatever the history length) and
   * returns its commit id, or `undefined` when the remote has no such branch.
   */
  fetch(branch: string, options: FetchOptions = {}): Promise<string | undefined> {
    return oneFetchAtATime(this.gitDir, () => this.fetchNow(branch, options));
  }

  private async fetchNow(branch: string, options: FetchOptions): Promise<string | undefined> {
    const ref = `refs/remotes/origin/${branch}`;
    try {
      await this.git(['fetch', '--quiet', '--no-tags', '--depth=1', this.url, `+refs/heads/${branch}:${ref}`], true, {
        signal: options.signal,
      });
    } catch (e) {
      if (e instanceof GitError && /couldn't find remote ref/i.test(e.stderr)) {
        await this.git(['update-ref', '-d', ref]);
        return undefined;
      }
      throw e;
    }
    // fetch writes the ref as a loose file; reading it saves a `rev-parse` process (packed refs fall back to one).
    const loose = await readFile(join(this.gitDir, ref), 'utf8').catch(() => undefined);
    if (loose && /^[0-9a-f]{40,64}\n?$/.test(loose)) return loose.trim();
    return (await this.git(['rev-parse', '--verify', `${ref}^{commit}`])).stdout.toString('utf8').trim();
  }

  /** Paths of the files at `revision`, all of them or those under the given folders or files. */
  async listFiles(revision: string, under: readonly string[] = []): Promise<string[]> {
    const out = await this.git(['ls-tree', '-r', '-z', '--name-only', revision, '--', ...under]);
    return out.stdout.toString('utf8').split('\0').filter(Boolean);
  }

  /**
   * The text of the files at `revision` under the given paths (files or folders). A path that does not exist there
   * adds nothing to the map. Symbolic links and files that are not UTF-8 are left out, and told to `unread`.
   */
  async readFiles(
    revision: string,
    paths: readonly string[],
    unread?: (file: UnreadFile) => void,
  ): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    if (paths.length === 0) return files;
    // Blobs are asked for by id, from one tree listing: asking `cat-file` for `rev:path` resolves every path through
    // its trees again, which is quadratic in a folder of 2,000 files.
    const listing = (await this.git(['ls-tree', '-r', '-z', '--full-tree', revision, '--', ...paths])).stdout;
    const blobs: { path: string; id: string }[] = [];
    for (const entry of listing.toString('utf8').split('\0')) {
      const tab = entry.indexOf('\t');
      const [mode, type, id] = entry.slice(0, tab).split(' ');
      if (type !== 'blob' || !id) continue;
      if (mode === SYMLINK_MODE) unread?.({ path: entry.slice(tab + 1), reason: SYMLINK_REASON });
      else blobs.push({ path: entry.slice(tab + 1), id });
    }
    if (blobs.length === 0) return files;
    // One `cat-file --batch` process for all of them, output buffered rather than flushed per object.
    const input = blobs.map((b) => `${b.id}\n`).join('');
    const out = (await this.git(['cat-file', '--batch', '--buffer'], false, { input })).stdout;
    let at = 0;
    for (const { path } of blobs) {
      const eol = out.indexOf(0x0a, at);
      const [, type, size] = out.subarray(at, eol).toString('utf8').split(' ');
      at = eol + 1;
      if (type !== 'blob') continue; // "<id> missing": nothing follows the header
      const length = Number(size);
      const text = utf8Text(out.subarray(at, at + length));
      if (text === undefined) unread?.({ path, reason: NOT_UTF8_REASON });
      else files.set(path, text);
      at += length + 1;
    }
    return files;
  }

  /** When `revision` was committed (the committer date). */
  async committedAt(revision: string): Promise<Date> {
    const shown = await this.git(['show', '-s', '--format=%cI', revision]);
    return new Date(shown.stdout.toString('utf8').trim());
  }

  async subject(revision: string): Promise<string> {
    const shown = await this.git(['show', '-s', '--format=%s', revision]);
    return shown.stdout.toString('utf8').trim();
  }

  async describe(revision: string): Promise<CommitDescription> {
    const shown = await this.git(['show', '-s', '--format=%H%x00%an <%ae>%x00%aI%x00%s%x00%b', revision]);
    const [sha = revision, author = '', date = '', subject = '', body = ''] = shown.stdout.toString('utf8').split('\0');
    return { sha, author, date, subject, body: body.trimEnd() };
  }

  /** Writes the files of `revision` into `dir` (created if missing), as a plain folder without `.git`. */
  async checkoutTo(revision: string, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await this.withIndex(async (env) => {
      await this.git(['read-tree', revision], false, { env });
      await runGit(['checkout-index', '--all', '--force'], { gitDir: this.gitDir, workTree: dir, env });
    });
  }

  /**
   * Writes a commit whose parent is `parent` and whose tree is the parent's with `edits` applied. Nothing is pushed.
   * File modes of edited files are kept (an executable stays executable).
   */
  async commit(change: {
    parent: string | undefined;
    edits: readonly FileEdit[];
    message: string;
    author?: GitIdentity;
  }): Promise<string> {
    const author = change.author ?? TIDEMARK_IDENTITY;
    const modes =
      change.parent === undefined
        ? new Map<string, string>()
        : await this.modesOf(
            change.parent,
            change.edits.map((e) => e.path),
          );
    // One `git fast-import` writes the blobs, the tree and the commit: two processes per commit instead of one per
    // file plus four, which is most of the time a commit takes on a busy machine.
    const now = `${Math.floor(Date.now() / 1000)} +0000`;
    const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
    const parts = [
      'commit refs/tidemark/last-commit\n',
      'mark :1\n',
      `author ${author.name} <${author.email}> ${now}\n`,
      `committer ${TIDEMARK_IDENTITY.name} <${TIDEMARK_IDENTITY.email}> ${now}\n`,
      data(change.message),
      ...(change.parent === undefined ? [] : [`from ${change.parent}\n`]),
      ...change.edits.map((e) =>
        e.content === null
          ? `D ${quotePath(e.path)}\n`
          : `M ${modes.get(e.path) ?? '100644'} inline ${quotePath(e.path)}\n${data(e.content)}`,
      ),
      '\nget-mark :1\n',
    ];
    const out = await this.git(['fast-import', '--quiet', '--force'], false, { input: parts.join('') });
    return out.stdout.toString().trim();
  }

  /**
   * Pushes `commit` to `branch` without force: the remote accepts it only if the branch still points at the commit's
   * parent (or does not exist yet). Any other refusal (a protected branch, a hook) is an error, not an outcome.
   */
  async push(commit: string, branch: string, options: { create?: boolean } = {}): Promise<PushOutcome> {
    const target = `refs/heads/${branch}`;
    // A lease with an empty expected value: the server takes the push only while the branch does not exist.
    const lease = options.create ? [`--force-with-lease=${target}:`] : [];
    const result = await this.git(['push', '--porcelain', ...lease, this.url, `${commit}:${target}`], true, {
      allowExitCodes: [1],
    });
    const line = result.stdout
      .toString('utf8')
      .split('\n')
      .find((l) => l.includes(`:${target}\t`));
    const flag = line?.[0];
    // Up to date: the branch already holds this very commit. Creating a branch, that is another writer's (an earlier
    // attempt's) branch, and git checks this before the lease.
    if (options.create && flag === '=') return { kind: 'rejected-non-fast-forward' };
    if (result.exitCode === 0 && line && flag !== '!') {
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
    options: Pick<RunGitOptions, 'input' | 'env' | 'allowExitCodes' | 'signal'> = {},
  ) {
    return runGit(args, {
      gitDir: this.gitDir,
      ...options,
      // A remote operation is bounded by the low-speed limit and a deadline; a local one by git itself.
      ...(remote
        ? { credentials: this.credentials, timeoutMs: remoteDeadlineMs, stalledAfterSeconds: this.stalledAfterSeconds }
        : {}),
    });
  }
}

/** A path as fast-import reads it: C-style quoted when it holds a quote, backslash or line break. */
function quotePath(path: string): string {
  return /["\\\n]/.test(path) || path.startsWith('"') ? JSON.stringify(path) : path;
}
