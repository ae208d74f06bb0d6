import { createHash } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openGitMirror } from './open-git-mirror';
import type { CommitDescription, FetchOptions, RepoMirror } from './repo-mirror';
import type { GitCredentials } from './run-git';

/** The tip of a branch, checked out. */
export interface Checkout {
  /** The commit sha of the branch tip: the revision a reconcile or a scan reports. */
  revision: string;
  /** A plain folder with the files of that commit (no `.git`), shared by every reader of the revision. */
  dir: string;
  /** When the revision was committed (the committer date); asked only by those who need it. */
  committedAt(): Promise<Date>;
  /** The revision's commit subject, for its deployment events and `tidemark get`. */
  subject(): Promise<string>;
  /** Author, date and message of the revision (the hydrator links a rendered commit to it). */
  describe(): Promise<CommitDescription>;
}

export interface CheckoutCacheOptions {
  /**
   * Checkouts kept per repository and branch, newest first. The agent keeps three: another Sync of the same branch
   * may still be rendering the previous one. The drift scanner keeps one: Lambda's /tmp is small, and one scan run
   * renders one revision. Default 3.
   */
  keep?: number;
}

/**
 * Repositories pulled by the agent and the drift scanner, cached between reconciles and scans under one folder: a
 * shallow bare mirror per URL (fetching only the branch tip, incrementally; over the git CLI or isomorphic-git, as
 * `openGitMirror` picks) and a read-only checkout per revision, reused until newer ones replace it.
 *
 * Crash-safe: a revision is checked out beside its folder and renamed into place, so a reader never sees a
 * half-written checkout, even after a crash mid-checkout (the leftover is removed before the next attempt).
 * Operations on one repository are serialised, since git locks its refs and index. One process per cache folder.
 *
 * @example
 * const cache = new CheckoutCache('/cache');
 * const { revision, dir } = await cache.fetch('https://git.example.com/config.git', 'main', credentials);
 */
export class CheckoutCache {
  /** Per repository and branch, the newest revisions checked out (newest first). */
  private readonly recent = new Map<string, string[]>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly mirrors = new Map<string, { mirror: Promise<RepoMirror>; credentials?: GitCredentials }>();

  constructor(
    private readonly cacheDir: string,
    private readonly options: CheckoutCacheOptions = {},
  ) {}

  /**
   * Fetches the tip of a branch and returns its revision and a checkout of it. `options.signal` stops the fetch (and
   * a fetch still queued behind another of the same repository).
   * @throws Error naming the repository and branch when the branch does not exist, or git's own error.
   */
  async fetch(
    url: string,
    branch: string,
    credentials?: GitCredentials,
    options: FetchOptions = {},
  ): Promise<Checkout> {
    const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
    return this.serialised(key, async () => {
      // Waiting behind another fetch of the same repository counts against the caller's deadline too.
      options.signal?.throwIfAborted();
      const mirror = await this.mirrorOf(key, url, credentials);
      const revision = await mirror.fetch(branch, options);
      if (revision === undefined) {
        throw new Error(
          `${url} has no branch '${branch}'. Push it, or fix the branch named (a Sync's spec.branch, configRepo.branch in tidemark.config.yaml)`,
        );
      }
      const checkouts = join(this.cacheDir, 'checkouts', key);
      const dir = join(checkouts, revision);
      if (!(await exists(dir))) {
        const partial = `${dir}.partial`;
        await rm(partial, { recursive: true, force: true });
        await mirror.checkoutTo(revision, partial);
        await rename(partial, dir);
      }
      await this.keepRecent(`${key}/${branch}`, checkouts, revision);
      return {
        revision,
        dir,
        committedAt: () => mirror.committedAt(revision),
        subject: () => mirror.subject(revision),
        describe: () => mirror.describe(revision),
      };
    });
  }

  /**
   * The mirror of a repository, opened again when the credentials changed (a rotated Secret, a renewed installation
   * token): opening is cheap, the folder stays, and an unchanged mirror keeps what it learnt of its packs.
   */
  private mirrorOf(key: string, url: string, credentials: GitCredentials | undefined): Promise<RepoMirror> {
    const known = this.mirrors.get(key);
    const same =
      known?.credentials?.username === credentials?.username && known?.credentials?.password === credentials?.password;
    if (known && same) return known.mirror;
    const mirror = openGitMirror({ url, cacheDir: join(this.cacheDir, 'repos', key), credentials });
    this.mirrors.set(key, { mirror, credentials });
    mirror.catch(() => this.mirrors.delete(key));
    return mirror;
  }

  /** Keeps the newest checkouts of each branch and removes the rest (and leftovers of a crash mid-checkout). */
  private async keepRecent(branchKey: string, checkouts: string, revision: string): Promise<void> {
    const keep = this.options.keep ?? 3;
    const recent = [revision, ...(this.recent.get(branchKey) ?? []).filter((r) => r !== revision)].slice(0, keep);
    this.recent.set(branchKey, recent);
    const kept = new Set([...this.recent.values()].flat());
    for (const name of await readdir(checkouts)) {
      if (!kept.has(name)) await rm(join(checkouts, name), { recursive: true, force: true });
    }
  }

  private serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.queues.set(
      key,
      next.catch(() => {}),
    );
    return next;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
