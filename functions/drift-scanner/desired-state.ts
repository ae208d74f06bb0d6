import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitCredentials, openGitMirror, type RepoMirror } from '../../adapters/git';
import { renderFolder } from '../../adapters/render/render-folder';
import type { KubeObject } from '../../core/sync/kube-object';

/** What Git says at the branch head: the rendered objects of one cluster's path, the ignore rules, and the head. */
export interface DesiredState {
  revision: string;
  committedAt: Date;
  objects: KubeObject[];
  /** Text of `.tidemark/drift.yaml` at the head, if the repo has one. */
  driftRules: string | undefined;
}

/**
 * The config repo at its branch head, rendered per cluster path with the agent's renderer. Each scan fetches the head
 * (one shallow fetch); checkouts and renders are cached by commit sha for the life of the container, so scans of an
 * unchanged repo cost one `git fetch`.
 */
export class DesiredStateSource {
  private readonly renders = new Map<string, Promise<KubeObject[]>>();
  private checkedOut: { revision: string; dir: Promise<string> } | undefined;

  private mirror: { opened: Promise<RepoMirror>; credentials?: GitCredentials } | undefined;

  private constructor(
    private readonly url: string,
    private readonly branch: string,
    private readonly workDir: string,
    private readonly credentials?: () => Promise<GitCredentials>,
  ) {}

  static async open(options: {
    url: string;
    branch: string;
    /** Asked before each fetch: a GitHub App's installation token expires after an hour. */
    credentials?: () => Promise<GitCredentials>;
    workDir?: string;
  }): Promise<DesiredStateSource> {
    // Per process and repository: git locks its refs, so two processes (test workers, `tidemark demo` next to a test)
    // must not share a mirror, and one mirror must not hold the heads of two repositories. A Lambda container runs one
    // process, so its /tmp keeps one mirror across warm invocations.
    const repoHash = createHash('sha256').update(options.url).digest('hex').slice(0, 16);
    if (!options.workDir) await removeFoldersOfEndedProcesses();
    const workDir = options.workDir ?? join(tmpdir(), `tidemark-drift-${process.pid}`, repoHash);
    return new DesiredStateSource(options.url, options.branch, workDir, options.credentials);
  }

  /** Fetches the head; call once per scan run, then {@link forPath} per cluster. */
  async head(): Promise<{ revision: string; committedAt: Date; driftRules: string | undefined }> {
    const mirror = await this.openMirror();
    const revision = await mirror.fetch(this.branch);
    if (!revision) {
      throw new Error(
        `branch ${this.branch} does not exist in ${this.url}. Fix configRepo.branch in tidemark.config.yaml`,
      );
    }
    const files = await mirror.readFiles(revision, ['.tidemark/drift.yaml']);
    return {
      revision,
      committedAt: await mirror.committedAt(revision),
      driftRules: files.get('.tidemark/drift.yaml'),
    };
  }

  /** The mirror, opened again when the credentials changed (opening is cheap: the cache folder stays). */
  private async openMirror(): Promise<RepoMirror> {
    const credentials = await this.credentials?.();
    const same = (a?: GitCredentials, b?: GitCredentials) => a?.username === b?.username && a?.password === b?.password;
    if (!this.mirror || !same(this.mirror.credentials, credentials)) {
      const opened = openGitMirror({ url: this.url, cacheDir: join(this.workDir, 'mirror'), credentials });
      this.mirror = { opened, credentials };
      opened.catch(() => {
        if (this.mirror?.opened === opened) this.mirror = undefined;
      });
    }
    return this.mirror.opened;
  }

  /** The rendered objects of `path` at `revision` (a folder of manifests or a kustomization). */
  forPath(revision: string, path: string): Promise<KubeObject[]> {
    const key = `${revision}:${path}`;
    let render = this.renders.get(key);
    if (!render) {
      render = this.render(revision, path);
      this.renders.set(key, render);
      // A failed render (a broken manifest) is retried on the next scan rather than remembered.
      render.catch(() => this.renders.delete(key));
    }
    return render;
  }

  private async render(revision: string, path: string): Promise<KubeObject[]> {
    return renderFolder(join(await this.checkoutOf(revision), path));
  }

  /**
   * The folder holding `revision`. Clusters are scanned concurrently and each renders its path of the same revision,
   * so the checkout is one shared promise: a second `checkout-index` into the same folder would fail on existing files.
   * One checkout is kept at a time (/tmp in Lambda is small); renders of the previous revision are already cached.
   */
  private checkoutOf(revision: string): Promise<string> {
    if (this.checkedOut?.revision === revision) return this.checkedOut.dir;
    const previous = this.checkedOut;
    const dir = (async () => {
      const old = await previous?.dir.catch(() => undefined);
      if (old) await rm(old, { recursive: true, force: true });
      const target = join(this.workDir, 'checkout', revision);
      await rm(target, { recursive: true, force: true });
      await mkdir(target, { recursive: true });
      await (await this.openMirror()).checkoutTo(revision, target);
      return target;
    })();
    this.checkedOut = { revision, dir };
    dir.catch(() => {
      if (this.checkedOut?.dir === dir) this.checkedOut = undefined;
    });
    for (const key of this.renders.keys()) if (!key.startsWith(`${revision}:`)) this.renders.delete(key);
    return dir;
  }
}

/** Mirrors of processes that have ended (test workers, earlier CLI runs) are removed, so they do not pile up in /tmp. */
async function removeFoldersOfEndedProcesses(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^tidemark-drift-(\d+)$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
