import { NOT_UTF8_REASON, SYMLINK_MODE, SYMLINK_REASON, utf8Text } from '../git/file-text';
import { type GitHubClient, githubClient, githubRepoOf } from '../github/github-client';
import type {
  CommitOutcome,
  ConfigRepo,
  FileEdit,
  HeadFiles,
  PullRequestOutcome,
  PullRequestSpec,
  UnreadFile,
} from './config-repo';

/** The mode of a plain file in a git tree; every other mode of a file read is remembered in `HeadFiles.modes`. */
const PLAIN_MODE = '100644';

export type GitHubCredentials = { token: string } | { appId: number; privateKey: string; installationId: number };

export interface GitHubConfigRepoOptions {
  /** HTTPS clone URL: `https://github.com/acme/config.git`, or a GitHub Enterprise Server URL. */
  url: string;
  branch: string;
  /**
   * A token with `contents: write` and `pull_requests: write` (a fine-grained PAT), or a GitHub App installation, for
   * which Octokit mints and renews installation tokens itself.
   */
  credentials: GitHubCredentials;
  /** API root; derived from `url` (`https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise). */
  baseUrl?: string;
  /** Extra Octokit options (tests point `request.fetch` at recorded responses). */
  octokitOptions?: Record<string, unknown>;
}

/**
 * The config repo on GitHub, through the Git Data API: reads are a tree listing plus one blob per file under the
 * asked paths; a commit is a tree on top of the head's tree, a commit object, and `updateRef` with `force: false`,
 * which GitHub refuses (422) unless the branch still points at our parent. Rate limits are respected by Octokit's
 * throttling plugin (waits, then retries twice) and transient 5xx errors are retried by its retry plugin.
 */
export class GitHubConfigRepo implements ConfigRepo {
  private readonly octokit: GitHubClient;
  private readonly owner: string;
  private readonly repoName: string;
  readonly url: string;
  readonly defaultBranch: string;

  constructor(options: GitHubConfigRepoOptions) {
    const repo = githubRepoOf(options.url);
    this.owner = repo.owner;
    this.repoName = repo.repo;
    this.url = options.url;
    this.defaultBranch = options.branch;
    this.octokit = githubClient(options.credentials, {
      baseUrl: options.baseUrl ?? repo.baseUrl,
      userAgent: 'tidemark-image-updater',
      options: options.octokitOptions,
    });
  }

  private get repo() {
    return { owner: this.owner, repo: this.repoName };
  }

  async read(paths: readonly string[], branch = this.defaultBranch, at?: string): Promise<HeadFiles | undefined> {
    const head = at ?? (await this.headOf(branch));
    if (!head) return undefined;
    const commit = await this.octokit.git.getCommit({ ...this.repo, commit_sha: head });
    const tree = await this.octokit.git.getTree({ ...this.repo, tree_sha: commit.data.tree.sha, recursive: 'true' });
    if (tree.data.truncated) {
      throw new Error(
        `the tree of ${this.url} at ${head} is too large for one GitHub API listing. Use the git provider for this repo`,
      );
    }
    const unread: UnreadFile[] = [];
    const wanted = tree.data.tree.filter((e) => {
      // `.` (or '') is the whole tree, as it is to `git ls-tree` (a policy may cover `paths: [.]`).
      const under = (p: string) => p === '.' || p === '' || e.path === p || e.path!.startsWith(`${p}/`);
      if (e.type !== 'blob' || !e.path || !paths.some(under)) return false;
      if (e.mode === SYMLINK_MODE) unread.push({ path: e.path, reason: SYMLINK_REASON });
      return e.mode !== SYMLINK_MODE;
    });
    const files = new Map<string, string>();
    const modes = new Map<string, string>();
    for (const e of wanted) if (e.mode && e.mode !== PLAIN_MODE) modes.set(e.path!, e.mode);
    // Eight blobs at a time: fast for the few files a policy covers, and gentle on the secondary rate limit.
    for (let i = 0; i < wanted.length; i += 8) {
      const batch = wanted.slice(i, i + 8);
      const blobs = await Promise.all(
        batch.map((e) => this.octokit.git.getBlob({ ...this.repo, file_sha: e.sha! }).then((r) => r.data)),
      );
      batch.forEach((e, j) => {
        const text = utf8Text(Buffer.from(blobs[j]!.content, blobs[j]!.encoding as BufferEncoding));
        if (text === undefined) unread.push({ path: e.path!, reason: NOT_UTF8_REASON });
        else files.set(e.path!, text);
      });
    }
    return { branch, head, files, ...(unread.length > 0 ? { unread } : {}), ...(modes.size > 0 ? { modes } : {}) };
  }

  async commit(
    edits: readonly FileEdit[],
    onto: HeadFiles,
    message: string,
    branch = onto.branch,
  ): Promise<CommitOutcome> {
    // No head: the first commit of a branch of its own, a tree of only the edits and no parent.
    const parent = onto.head ? await this.octokit.git.getCommit({ ...this.repo, commit_sha: onto.head }) : undefined;
    const tree = await this.octokit.git.createTree({
      ...this.repo,
      ...(parent ? { base_tree: parent.data.tree.sha } : {}),
      // Each edited file keeps its mode (an executable stays 100755); a new file is a plain one.
      tree: edits.map((e) => {
        const mode = (onto.modes?.get(e.path) ?? PLAIN_MODE) as '100644' | '100755';
        return e.content === null
          ? { path: e.path, mode, type: 'blob' as const, sha: null }
          : { path: e.path, mode, type: 'blob' as const, content: e.content };
      }),
    });
    const commit = await this.octokit.git.createCommit({
      ...this.repo,
      message,
      tree: tree.data.sha,
      parents: onto.head ? [onto.head] : [],
    });
    const sha = commit.data.sha;
    try {
      if (branch === onto.branch && onto.head) {
        await this.octokit.git.updateRef({ ...this.repo, ref: `heads/${branch}`, sha, force: false });
      } else {
        await this.octokit.git.createRef({ ...this.repo, ref: `refs/heads/${branch}`, sha });
      }
    } catch (e) {
      // 422 "Update is not a fast forward" / "Reference already exists": someone else moved or made the branch.
      if (statusOf(e) === 422) return { kind: 'head-moved', branch };
      throw e;
    }
    return { kind: 'committed', sha, branch };
  }

  async pullRequest(spec: PullRequestSpec): Promise<PullRequestOutcome> {
    const open = await this.octokit.pulls.list({
      ...this.repo,
      state: 'open',
      head: `${this.owner}:${spec.branch}`,
      base: spec.base,
    });
    const existing = open.data[0];
    if (existing) {
      await this.octokit.pulls.update({
        ...this.repo,
        pull_number: existing.number,
        title: spec.title,
        body: spec.body,
      });
      return { kind: 'updated', number: existing.number, url: existing.html_url };
    }
    const created = await this.octokit.pulls.create({ ...this.repo, ...spec, head: spec.branch });
    return { kind: 'opened', number: created.data.number, url: created.data.html_url };
  }

  private async headOf(branch: string): Promise<string | undefined> {
    try {
      return (await this.octokit.git.getRef({ ...this.repo, ref: `heads/${branch}` })).data.object.sha;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }
}

/** The HTTP status of an Octokit `RequestError` (duck-typed: the class lives in a transitive dependency). */
function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'status' in e && typeof e.status === 'number' ? e.status : undefined;
}
