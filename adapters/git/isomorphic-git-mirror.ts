import fs from 'node:fs';
import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  deleteRef,
  Errors,
  fetch,
  getConfig,
  init,
  listServerRefs,
  push,
  readBlob,
  readCommit,
  readTree,
  setConfig,
  type TreeEntry,
  writeBlob,
  writeCommit,
  writeTree,
} from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { NOT_UTF8_REASON, SYMLINK_MODE, SYMLINK_REASON, type UnreadFile, utf8Text } from './file-text';
import { gitFolderFs } from './git-folder-fs';
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
import type { GitCredentials } from './run-git';

/** A file (or symlink, or submodule link) of a revision, found by walking its trees. */
interface TreeFile {
  path: string;
  oid: string;
  mode: string;
  type: TreeEntry['type'];
}

/**
 * The same mirror as `GitMirror`, over isomorphic-git (pure JavaScript) instead of the git CLI: the Lambda runtime has
 * no `git` binary. It speaks the same smart-HTTP protocol to the same servers and keeps the same bare repository
 * layout in its cache folder. Prefer `openGitMirror`, which picks this one only where git is missing.
 *
 * Only HTTP(S) remotes: isomorphic-git has no file:// or SSH transport.
 *
 * @example
 * const mirror = await IsomorphicGitMirror.open({ url: 'https://git.example.com/config.git', cacheDir: '/tmp/config', credentials });
 * const head = await mirror.fetch('main');
 * const sha = await mirror.commit({ parent: head!, edits: [{ path: 'a.yaml', content: 'a: 1\n' }], message: 'Set a' });
 * const outcome = await mirror.push(sha, 'main'); // { kind: 'pushed', sha } or { kind: 'rejected-non-fast-forward' }
 */
export class IsomorphicGitMirror implements RepoMirror {
  // isomorphic-git keeps the packfiles it has read, and their parsed indexes, in this object; without it every
  // object read would read and parse the pack's index again.
  private readonly cache = {};
  private readonly fs: ReturnType<typeof gitFolderFs>;

  private constructor(
    readonly url: string,
    readonly gitDir: string,
    private readonly credentials: GitCredentials | undefined,
  ) {
    this.fs = gitFolderFs(gitDir);
  }

  /** Opens the cache folder, creating an empty bare repository there on first use. */
  static async open(options: GitMirrorOptions): Promise<IsomorphicGitMirror> {
    assertNoCredentialsInUrl(options.url);
    const { protocol } = new URL(options.url);
    if (protocol !== 'https:' && protocol !== 'http:') {
      throw new Error(
        `git remote ${options.url} uses ${protocol}, which isomorphic-git cannot reach. ` +
          "Use the repository's HTTPS clone URL, or put git on PATH (TIDEMARK_GIT_TRANSPORT=cli)",
      );
    }
    const exists = await stat(join(options.cacheDir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(options.cacheDir, { recursive: true });
      await init({ fs, gitdir: options.cacheDir, bare: true });
    }
    // isomorphic-git maps fetched branches to local refs through the remote's refspec, as git does; a folder made by
    // `git init --bare` (the CLI transport) has none. The URL itself is passed per call, never stored.
    const refspec = '+refs/heads/*:refs/remotes/origin/*';
    if ((await getConfig({ fs, gitdir: options.cacheDir, path: 'remote.origin.fetch' })) !== refspec) {
      await setConfig({ fs, gitdir: options.cacheDir, path: 'remote.origin.fetch', value: refspec });
    }
    return new IsomorphicGitMirror(options.url, options.cacheDir, options.credentials);
  }

  fetch(branch: string, options: FetchOptions = {}): Promise<string | undefined> {
    return oneFetchAtATime(this.gitDir, () => this.fetchNow(branch, options));
  }

  private async fetchNow(branch: string, options: FetchOptions): Promise<string | undefined> {
    const ref = `refs/remotes/origin/${branch}`;
    const remoteRef = `refs/heads/${branch}`;
    try {
      const result = await fetch({
        ...this.remote(options.signal),
        // `ref` names the local copy: isomorphic-git tells the server we have what it points at, so a fetch after an
        // earlier one (a warm Lambda) receives only the new objects rather than the whole tip again.
        ref,
        remoteRef,
        remote: 'origin',
        singleBranch: true,
        depth: 1,
        tags: false,
      });
      if (result.fetchHead) return result.fetchHead;
    } catch (e) {
      // The server does not list the branch. Any other "not found" (an object missing here) is a real failure.
      if (!(e instanceof Errors.NotFoundError && e.data.what === remoteRef)) throw transportError('fetch', this.url, e);
    }
    // No such branch (or an empty repository): forget our copy of it, as `git fetch` would.
    await deleteRef({ fs: this.fs, gitdir: this.gitDir, ref }).catch(() => {});
    return undefined;
  }

  async listFiles(revision: string, under: readonly string[] = []): Promise<string[]> {
    return (await this.filesOf(revision, under)).map((f) => f.path);
  }

  async readFiles(
    revision: string,
    paths: readonly string[],
    unread?: (file: UnreadFile) => void,
  ): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    if (paths.length === 0) return files;
    const blobs = (await this.filesOf(revision, paths)).filter((f) => {
      if (f.type !== 'blob') return false;
      if (f.mode === SYMLINK_MODE) unread?.({ path: f.path, reason: SYMLINK_REASON });
      return f.mode !== SYMLINK_MODE;
    });
    const texts = await Promise.all(blobs.map((b) => this.blobText(b.oid)));
    for (const [i, b] of blobs.entries()) {
      const text = texts[i];
      if (text === undefined) unread?.({ path: b.path, reason: NOT_UTF8_REASON });
      else files.set(b.path, text);
    }
    return files;
  }

  async checkoutTo(revision: string, dir: string): Promise<void> {
    // A submodule is a link to another repository, not files of this one.
    const files = (await this.filesOf(revision, [])).filter((f) => f.type === 'blob');
    for (const folder of new Set([dir, ...files.map((f) => dirname(join(dir, f.path)))])) {
      await mkdir(folder, { recursive: true });
    }
    // Some files at a time: reading a blob is CPU work and writing it is I/O, so they overlap, without holding the
    // whole revision in memory at once.
    for (let at = 0; at < files.length; at += 32) {
      await Promise.all(
        files.slice(at, at + 32).map(async (file) => {
          const target = join(dir, file.path);
          const { blob } = await readBlob({ fs: this.fs, gitdir: this.gitDir, oid: file.oid, cache: this.cache });
          if (file.mode === '120000') return symlink(Buffer.from(blob).toString('utf8'), target);
          await writeFile(target, blob, { mode: file.mode === '100755' ? 0o755 : 0o644 });
        }),
      );
    }
  }

  async committedAt(revision: string): Promise<Date> {
    const { commit } = await readCommit({ fs: this.fs, gitdir: this.gitDir, oid: revision, cache: this.cache });
    return new Date(commit.committer.timestamp * 1000);
  }

  async subject(revision: string): Promise<string> {
    const { commit } = await readCommit({ fs: this.fs, gitdir: this.gitDir, oid: revision, cache: this.cache });
    // As git's %s: the first paragraph of the message, its lines joined by spaces.
    return (commit.message.split(/\n\s*\n/)[0] ?? '').replace(/\s*\n\s*/g, ' ').trim();
  }

  async describe(revision: string): Promise<CommitDescription> {
    const { oid, commit } = await readCommit({ fs: this.fs, gitdir: this.gitDir, oid: revision, cache: this.cache });
    const [first = '', ...rest] = commit.message.split(/\n\s*\n/);
    const { name, email, timestamp, timezoneOffset } = commit.author;
    // isomorphic-git's offset is minutes west of UTC (as Date's), git's %aI is the author's own zone.
    const offset = -timezoneOffset;
    const local = new Date((timestamp + offset * 60) * 1000).toISOString().slice(0, 19);
    const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
    return {
      sha: oid,
      author: `${name} <${email}>`,
      date: `${local}${zone}`,
      subject: first.replace(/\s*\n\s*/g, ' ').trim(),
      body: rest.join('\n\n').trimEnd(),
    };
  }

  async commit(change: {
    parent: string | undefined;
    edits: readonly FileEdit[];
    message: string;
    author?: GitIdentity;
  }): Promise<string> {
    const emptyTree = () => writeTree({ fs: this.fs, gitdir: this.gitDir, tree: [] });
    const base =
      change.parent === undefined
        ? await emptyTree()
        : (await readCommit({ fs: this.fs, gitdir: this.gitDir, oid: change.parent, cache: this.cache })).commit.tree;
    const edits = change.edits.map((e) => ({ segments: e.path.split('/'), content: e.content }));
    const tree = (await this.editTree(base, edits)) ?? (await emptyTree());
    const timestamp = Math.floor(Date.now() / 1000);
    const author = change.author ?? TIDEMARK_IDENTITY;
    return writeCommit({
      fs: this.fs,
      gitdir: this.gitDir,
      commit: {
        tree,
        parent: change.parent === undefined ? [] : [change.parent],
        author: { ...author, timestamp, timezoneOffset: 0 },
        committer: { ...TIDEMARK_IDENTITY, timestamp, timezoneOffset: 0 },
        // isomorphic-git writes the message as `git commit` would (no CR, one final newline); the CLI's fast-import
        // keeps it byte for byte. Only the commit id differs, and no caller compares ids across transports.
        message: change.message,
      },
    });
  }

  async push(commit: string, branch: string, options: { create?: boolean } = {}): Promise<PushOutcome> {
    const target = `refs/heads/${branch}`;
    try {
      // isomorphic-git has no lease: ask the server first. A writer that creates the branch between the two calls is
      // caught by the fast-forward check below unless it pushed this very commit, which is then on the branch anyway.
      if (options.create) {
        const refs = await listServerRefs({ ...this.remote(), prefix: target, protocolVersion: 1 });
        if (refs.some((ref) => ref.ref === target)) return { kind: 'rejected-non-fast-forward' };
      }
      await push({ ...this.remote(), ref: commit, remoteRef: target, remote: 'origin', force: false });
      return { kind: 'pushed', sha: commit };
    } catch (e) {
      // isomorphic-git checks fast-forward itself before sending: the branch moved to a commit we do not have, or
      // that is not an ancestor of ours.
      if (e instanceof Errors.PushRejectedError && e.data.reason === 'not-fast-forward') {
        return { kind: 'rejected-non-fast-forward' };
      }
      // The server's own check, and the lost race of two pushes that both passed ours (its compare-and-swap of the
      // ref fails): for us the same news, the branch moved.
      if (e instanceof Errors.GitPushError) {
        const reason = e.data.result.refs[target]?.error ?? '';
        if (/non-fast-forward|fetch first|stale info|failed to update ref|cannot lock ref/.test(reason)) {
          return { kind: 'rejected-non-fast-forward' };
        }
      }
      throw transportError('push', this.url, e);
    }
  }

  /**
   * What every remote call passes to isomorphic-git: the repository, the remote, credentials through `onAuth` only. Each HTTP request is bounded by {@link remoteDeadlineMs} and by
   * `signal`: isomorphic-git's own timeouts are none, so a server that accepts the connection and then sends nothing
   * would hold the call forever.
   */
  private remote(signal?: AbortSignal) {
    const credentials = this.credentials;
    const deadline = AbortSignal.timeout(remoteDeadlineMs);
    const bounded = signal ? AbortSignal.any([signal, deadline]) : deadline;
    return {
      fs: this.fs,
      http: { request: (request: Parameters<typeof http.request>[0]) => http.request({ ...request, signal: bounded }) },
      gitdir: this.gitDir,
      cache: this.cache,
      url: this.url,
      // Asked for only when the server answers 401; a second 401 fails the call (no `onAuthFailure` retry loop).
      ...(credentials ? { onAuth: () => ({ username: credentials.username, password: credentials.password }) } : {}),
    };
  }

  private async blobText(oid: string): Promise<string | undefined> {
    const { blob } = await readBlob({ fs: this.fs, gitdir: this.gitDir, oid, cache: this.cache });
    return utf8Text(blob);
  }

  /**
   * The non-tree entries of `revision` under `paths` (files or folders; none means all), in git's tree order and each
   * once, like `git ls-tree -r`. Only the trees on the way to the asked-for paths are read, so reading one file of a
   * 2,000-file repository reads a handful of trees. isomorphic-git refuses a tree entry that could escape the folder
   * (`..`, `.git`, a separator) as it reads the tree, so `checkoutTo` writes only inside its folder.
   */
  private async filesOf(revision: string, paths: readonly string[]): Promise<TreeFile[]> {
    // `.` is the whole tree, as it is to `git ls-tree` (a policy may cover `paths: [.]`).
    const wanted = paths.map((p) => p.replace(/^\/+|\/+$/g, '').replace(/^\.$/, ''));
    const all = paths.length === 0 || wanted.includes('');
    const files: TreeFile[] = [];
    const walk = async (oid: string, prefix: string, inside: boolean): Promise<void> => {
      const { tree } = await readTree({ fs: this.fs, gitdir: this.gitDir, oid, cache: this.cache });
      for (const entry of inGitOrder(tree)) {
        const path = prefix + entry.path;
        const match = inside || wanted.some((w) => w === path || path.startsWith(`${w}/`));
        if (entry.type === 'tree') {
          if (match || wanted.some((w) => w.startsWith(`${path}/`))) await walk(entry.oid, `${path}/`, match);
        } else if (match) {
          files.push({ path, oid: entry.oid, mode: entry.mode, type: entry.type });
        }
      }
    };
    await walk(revision, '', all);
    return files;
  }

  /**
   * Writes the tree `base` (undefined: an empty folder) with `edits` applied, relative to that tree, and returns its
   * id, or undefined when nothing is left in it (git keeps no empty folders, so the caller drops the entry). A file's
   * mode is kept when its content changes; a new file is a plain one.
   */
  private async editTree(
    base: string | undefined,
    edits: readonly { segments: string[]; content: string | null }[],
  ): Promise<string | undefined> {
    const entries = new Map<string, TreeEntry>();
    if (base) {
      for (const entry of (await readTree({ fs: this.fs, gitdir: this.gitDir, oid: base, cache: this.cache })).tree) {
        entries.set(entry.path, entry);
      }
    }
    const nested = new Map<string, { segments: string[]; content: string | null }[]>();
    for (const edit of edits) {
      const [name, ...rest] = edit.segments;
      assertCommittableName(name, edit.segments.join('/'));
      if (rest.length > 0) {
        nested.set(name, [...(nested.get(name) ?? []), { segments: rest, content: edit.content }]);
      } else if (edit.content === null) {
        entries.delete(name);
      } else {
        const existing = entries.get(name);
        const mode = existing?.type === 'blob' && existing.mode !== '120000' ? existing.mode : '100644';
        const oid = await writeBlob({ fs: this.fs, gitdir: this.gitDir, blob: Buffer.from(edit.content, 'utf8') });
        entries.set(name, { mode, path: name, oid, type: 'blob' });
      }
    }
    for (const [name, subEdits] of nested) {
      const existing = entries.get(name);
      const oid = await this.editTree(existing?.type === 'tree' ? existing.oid : undefined, subEdits);
      if (oid) entries.set(name, { mode: '040000', path: name, oid, type: 'tree' });
      else entries.delete(name);
    }
    if (entries.size === 0) return undefined;
    // writeTree sorts the entries in git's order (a folder sorts as if its name ended in '/').
    return writeTree({ fs: this.fs, gitdir: this.gitDir, tree: [...entries.values()] });
  }
}

/**
 * Tree entries in the order git stores and lists them: by bytes, a folder as if its name ended in '/'. isomorphic-git
 * returns them in its own order (a folder `web` before a file `web-x.yaml`), which would make the two transports list
 * the same revision differently.
 */
function inGitOrder(entries: readonly TreeEntry[]): TreeEntry[] {
  const key = (e: TreeEntry) => Buffer.from(e.type === 'tree' ? `${e.path}/` : e.path, 'utf8');
  return entries
    .map((e) => ({ e, k: key(e) }))
    .sort((a, b) => Buffer.compare(a.k, b.k))
    .map(({ e }) => e);
}

/**
 * A name isomorphic-git can write and read back. It refuses to read a tree holding a backslash (as git itself refuses
 * to check one out, core.protectNTFS), so writing one would leave a folder this mirror could no longer read.
 */
function assertCommittableName(name: string | undefined, path: string): asserts name is string {
  if (!name || name === '.' || name === '..' || name.includes('\\') || name.toLowerCase() === '.git') {
    throw new Error(
      `commit edit path '${path}' has an empty, '.', '..', '.git' or backslash segment, which git refuses to check out. ` +
        "Use a repo-relative path with '/' between folders, such as 'clusters/dev/web.yaml'",
    );
  }
}

/** An isomorphic-git failure as an error that names the operation and the remote, with the original as `cause`. */
function transportError(operation: 'fetch' | 'push', url: string, e: unknown): Error {
  const reason = e instanceof Error ? e.message.trim().split('\n').slice(0, 3).join(' | ') : String(e);
  const status = e instanceof Errors.HttpError ? e.data.statusCode : undefined;
  const fix =
    status === 401 || status === 403
      ? 'Check the username and password (or token) for this repository'
      : 'Check that the URL is the repository’s HTTPS clone URL and that the server is reachable';
  return new Error(`git ${operation} failed (isomorphic-git, ${url}): ${reason}. ${fix}`, { cause: e });
}
