import type { UnreadFile } from '../git/file-text';
import type { FileEdit } from '../git/git-mirror';

export type { UnreadFile } from '../git/file-text';
export type { FileEdit } from '../git/git-mirror';

/** Files of a branch, and the commit they were read at: the base of an optimistic-concurrency commit. */
export interface HeadFiles {
  branch: string;
  /** Commit id the files were read at; `''` for a branch that does not exist yet (see {@link newBranch}). */
  head: string;
  /** Repo-relative path → text, for the files under the paths that were asked for. */
  files: Map<string, string>;
  /** Files under those paths that were left out (symbolic links, files that are not UTF-8), and why. */
  unread?: UnreadFile[];
  /**
   * Git file mode of each read file that is not a plain `100644` (an executable script is `100755`), for providers
   * that write a tree by hand (GitHub's API): an edit keeps the mode of the file it changes.
   */
  modes?: Map<string, string>;
}

/**
 * The base for the first commit of a branch of its own: no parent, no files. A commit onto it is a root commit
 * holding only its edits, and succeeds only while the branch does not exist (another writer creating it first is
 * `head-moved`, as for any branch).
 */
export function newBranch(branch: string): HeadFiles {
  return { branch, head: '', files: new Map() };
}

/**
 * How a commit ended. `head-moved` is an expected outcome, not an error: another writer pushed to the branch after
 * our read, so nothing was written and the caller re-reads and recomputes (never a force-push).
 */
export type CommitOutcome = { kind: 'committed'; sha: string; branch: string } | { kind: 'head-moved'; branch: string };

/** A pull request to open or update, from `branch` into `base`. */
export interface PullRequestSpec {
  branch: string;
  base: string;
  title: string;
  body: string;
}

/**
 * What became of a pull request: `opened`, `updated` (an open one for the same branch got the new title and body),
 * or `unsupported` when the provider has no pull requests (a plain git server), in which case the branch is pushed
 * and a human opens the request.
 */
export type PullRequestOutcome =
  | { kind: 'opened' | 'updated'; number: number; url: string }
  | { kind: 'unsupported'; branch: string };

/**
 * The config repo, as the image updater sees it. Two providers implement it: `git.ts` (any smart-HTTP git server,
 * through the real git client) and `github.ts` (GitHub's Git Data API). The CLI reads the disk instead.
 */
export interface ConfigRepo {
  /** Clone URL, as in a Sync's `spec.repo`. */
  readonly url: string;
  /** The branch Tidemark writes to unless a policy names another. */
  readonly defaultBranch: string;
  /**
   * Reads the files under `paths` (folders or files) at the current head of `branch`, or returns `undefined` when
   * the branch does not exist. With `at`, reads at that commit of the branch instead of asking for the head again
   * (a second read of the same revision, once the first told which paths matter).
   */
  read(paths: readonly string[], branch?: string, at?: string): Promise<HeadFiles | undefined>;
  /**
   * Commits `edits` on top of `onto.head` and moves `branch` (default `onto.branch`) to it, only if the branch still
   * points at `onto.head` or, for a new branch, does not exist yet.
   */
  commit(edits: readonly FileEdit[], onto: HeadFiles, message: string, branch?: string): Promise<CommitOutcome>;
  /** Opens a pull request for `spec.branch`, or updates the open one. */
  pullRequest(spec: PullRequestSpec): Promise<PullRequestOutcome>;
}
