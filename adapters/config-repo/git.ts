import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitCredentials, openGitMirror, type RepoMirror } from '../git';
import type {
  CommitOutcome,
  ConfigRepo,
  FileEdit,
  HeadFiles,
  PullRequestOutcome,
  PullRequestSpec,
  UnreadFile,
} from './config-repo';

/**
 * The config repo on any smart-HTTP git server (GitLab, Gitea, CodeCommit, the local server), through the git CLI,
 * or isomorphic-git where there is none (Lambda; see `openGitMirror`). Reads are shallow fetches into a cache folder
 * that survives between Lambda invocations of one container, so a read after our own push needs only a small fetch.
 */
export class GitConfigRepo implements ConfigRepo {
  private constructor(
    readonly url: string,
    readonly defaultBranch: string,
    private readonly mirror: RepoMirror,
  ) {}

  static async open(options: {
    url: string;
    branch: string;
    credentials?: GitCredentials;
    /** Defaults to a folder per URL under the system temp dir (`/tmp` in Lambda). */
    cacheDir?: string;
  }): Promise<GitConfigRepo> {
    const cacheDir =
      options.cacheDir ??
      join(tmpdir(), 'tidemark-config-repo', createHash('sha256').update(options.url).digest('hex').slice(0, 16));
    const mirror = await openGitMirror({ url: options.url, cacheDir, credentials: options.credentials });
    return new GitConfigRepo(options.url, options.branch, mirror);
  }

  async read(paths: readonly string[], branch = this.defaultBranch, at?: string): Promise<HeadFiles | undefined> {
    const head = at ?? (await this.mirror.fetch(branch));
    if (!head) return undefined;
    const unread: UnreadFile[] = [];
    const files = await this.mirror.readFiles(head, paths, (file) => unread.push(file));
    return { branch, head, files, ...(unread.length > 0 ? { unread } : {}) };
  }

  async commit(
    edits: readonly FileEdit[],
    onto: HeadFiles,
    message: string,
    branch = onto.branch,
  ): Promise<CommitOutcome> {
    const sha = await this.mirror.commit({ parent: onto.head || undefined, edits, message });
    // Without a head the commit starts a branch of its own (newBranch): it must not exist yet.
    const outcome = await this.mirror.push(sha, branch, { create: !onto.head });
    return outcome.kind === 'pushed' ? { kind: 'committed', sha, branch } : { kind: 'head-moved', branch };
  }

  async pullRequest(spec: PullRequestSpec): Promise<PullRequestOutcome> {
    // A plain git server has no pull requests; the branch is pushed and the server's UI offers to open one.
    return { kind: 'unsupported', branch: spec.branch };
  }
}
