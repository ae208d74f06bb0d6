import { createHash } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GitMirror } from './git-mirror';
import type { GitCredentials } from './run-git';

export interface FetchedSource {
  /** The commit sha of the branch tip: the revision a reconcile reports. */
  revision: string;
  /** A plain folder with the files of that commit (no `.git`), shared by every Sync of the repository. */
  dir: string;
}

/**
 * Repositories the agent pulls from, cached between reconciles under one folder: a shallow bare mirror per URL
 * (fetching only the branch tip, incrementally) and a read-only checkout per revision, reused until a newer one
 * replaces it. Operations on one repository are serialised, since git locks its refs and index.
 */
export class SourceCache {
  /** Per repository and branch, the newest revisions checked out (newest first). */
  private readonly recent = new Map<string, string[]>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly cacheDir: string) {}

  /**
   * Fetches the tip of a branch and returns its revision and a checkout of it.
   * @throws Error naming the repository and branch when the branch does not exist, or git's own error.
   */
  async fetch(url: string, branch: string, credentials?: GitCredentials): Promise<FetchedSource> {
    const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
    return this.serialised(key, async () => {
      // Credentials can rotate (the Secret changes), so the mirror is reopened with them each time; opening is cheap.
      const mirror = await GitMirror.open({ url, cacheDir: join(this.cacheDir, 'repos', key), credentials });
      const revision = await mirror.fetch(branch);
      if (revision === undefined) {
        throw new Error(`${url} has no branch '${branch}'. Fix spec.branch, or push the branch`);
      }
      const checkouts = join(this.cacheDir, 'checkouts', key);
      const dir = join(checkouts, revision);
      if (!(await exists(dir))) {
        // Check out beside, then rename: a reconcile never sees a half-written folder, even after a crash.
        const partial = `${dir}.partial`;
        await rm(partial, { recursive: true, force: true });
        await mirror.checkoutTo(revision, partial);
        await rename(partial, dir);
      }
      await this.keepRecent(`${key}/${branch}`, checkouts, revision);
      return { revision, dir };
    });
  }

  /**
   * Keeps the three newest checkouts of each branch and removes the rest. Not just the newest: another Sync of the
   * same branch may still be rendering the previous one.
   */
  private async keepRecent(branchKey: string, checkouts: string, revision: string): Promise<void> {
    const recent = [revision, ...(this.recent.get(branchKey) ?? []).filter((r) => r !== revision)].slice(0, 3);
    this.recent.set(branchKey, recent);
    const keep = new Set([...this.recent.values()].flat());
    for (const name of await readdir(checkouts)) {
      if (!keep.has(name) && !name.endsWith('.partial'))
        await rm(join(checkouts, name), { recursive: true, force: true });
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
