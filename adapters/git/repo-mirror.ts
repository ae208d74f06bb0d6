import type { UnreadFile } from './file-text';
import type { GitCredentials } from './run-git';

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
  /**
   * A transfer that moves (almost) nothing for this long is abandoned: see `stalledTransferSeconds` in run-git.ts.
   * @default 30
   */
  stalledAfterSeconds?: number;
}

/** How long a fetch may take, and who may stop it. */
export interface FetchOptions {
  /** Stops the fetch (a reconcile's deadline, the agent stopping); the fetch then rejects saying why. */
  signal?: AbortSignal;
}

/** A fetch or push that has not finished after this long is stopped, whatever the caller's own deadline. */
export const remoteDeadlineMs = 5 * 60_000;

/** The identity Tidemark commits as, and the author when a commit names none. */
export const TIDEMARK_IDENTITY: GitIdentity = { name: 'Tidemark', email: 'tidemark@users.noreply.tidemark.dev' };

/**
 * A shallow, bare local copy of one remote repository: fetch a branch tip, read files at a revision, write a commit
 * without a work tree, push it without force. Two transports implement it with the same outcomes: `GitMirror` (the
 * git CLI) and `IsomorphicGitMirror` (pure JavaScript, for the Lambda runtime, which has no git binary);
 * `openGitMirror` picks one.
 */
/** A commit as git tells it. */
export interface CommitDescription {
  sha: string;
  /** `Name <email>` */
  author: string;
  /** ISO 8601 author date. */
  date: string;
  /** As git's `%s`: the first paragraph, its lines joined by spaces. */
  subject: string;
  /** The message after the first paragraph, without its trailing newline. */
  body: string;
}

export interface RepoMirror {
  /** The remote, without credentials. */
  readonly url: string;
  /**
   * Fetches the tip of `branch` (depth 1: only the files of the tip travel, whatever the history length) and
   * returns its commit id, or `undefined` when the remote has no such branch.
   */
  fetch(branch: string, options?: FetchOptions): Promise<string | undefined>;
  /** Paths of the files at `revision`, all of them or those under the given folders or files. */
  listFiles(revision: string, under?: readonly string[]): Promise<string[]>;
  /**
   * The text of the files at `revision` under the given paths (files or folders). A path that does not exist there
   * adds nothing to the map. Symbolic links and files that are not UTF-8 are left out, and told to `unread`.
   */
  readFiles(
    revision: string,
    paths: readonly string[],
    unread?: (file: UnreadFile) => void,
  ): Promise<Map<string, string>>;
  /** Writes the files of `revision` into `dir` (created if missing), as a plain folder without `.git`. */
  checkoutTo(revision: string, dir: string): Promise<void>;
  /** When `revision` was committed (the committer date). */
  committedAt(revision: string): Promise<Date>;
  /** The first line of `revision`'s commit message, as `git log --format=%s` shows it. */
  subject(revision: string): Promise<string>;
  /** Who wrote `revision`, when, and its message (subject and body): what a rendered commit links back to. */
  describe(revision: string): Promise<CommitDescription>;
  /**
   * Writes a commit whose parent is `parent` and whose tree is the parent's with `edits` applied. Nothing is pushed.
   * File modes of edited files are kept (an executable stays executable). Without a parent the commit is a root
   * commit holding only `edits` (the first commit of a branch of its own, such as a rendered branch).
   */
  commit(change: {
    parent: string | undefined;
    edits: readonly FileEdit[];
    message: string;
    author?: GitIdentity;
  }): Promise<string>;
  /**
   * Pushes `commit` to `branch` without force: the remote accepts it only if the branch still points at an ancestor
   * of the commit (or does not exist yet). Any other refusal (a protected branch, a hook) is an error, not an outcome.
   * With `create`, the branch must not exist at all: a root commit made twice in one second has the same id, and the
   * second push would otherwise be "up to date" instead of telling that another writer created the branch first.
   */
  push(commit: string, branch: string, options?: { create?: boolean }): Promise<PushOutcome>;
}

/** Refuses a remote URL with a user or password in it, naming the URL without them. */
export function assertNoCredentialsInUrl(url: string): void {
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

const fetchesInFlight = new Map<string, Promise<unknown>>();

/**
 * Runs the fetches of one mirror folder one at a time, in this process: two fetches in one repository fail on each
 * other's lock files (`shallow.lock`, the ref's `.lock`), and one process may hold several users of a mirror (the
 * hydrator's targets, two promoter runs). Other processes sharing a folder are not expected (one Lambda container, one
 * agent). Reads (`cat-file`, `ls-tree`) take no locks and need no queue.
 */
export function oneFetchAtATime<T>(gitDir: string, fetch: () => Promise<T>): Promise<T> {
  const run = (fetchesInFlight.get(gitDir) ?? Promise.resolve()).then(fetch, fetch);
  const settled = run.catch(() => undefined);
  fetchesInFlight.set(gitDir, settled);
  void settled.then(() => {
    if (fetchesInFlight.get(gitDir) === settled) fetchesInFlight.delete(gitDir);
  });
  return run;
}
