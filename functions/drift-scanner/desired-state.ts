import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitCredentials, GitMirror, runGit } from '../../adapters/git';
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
  private checkedOut: { revision: string; dir: string } | undefined;

  private constructor(
    private readonly mirror: GitMirror,
    private readonly branch: string,
    private readonly workDir: string,
  ) {}

  static async open(options: {
    url: string;
    branch: string;
    credentials?: GitCredentials;
    workDir?: string;
  }): Promise<DesiredStateSource> {
    const workDir = options.workDir ?? join(tmpdir(), 'tidemark-drift');
    const mirror = await GitMirror.open({
      url: options.url,
      cacheDir: join(workDir, 'mirror'),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    return new DesiredStateSource(mirror, options.branch, workDir);
  }

  /** Fetches the head; call once per scan run, then {@link forPath} per cluster. */
  async head(): Promise<{ revision: string; committedAt: Date; driftRules: string | undefined }> {
    const revision = await this.mirror.fetch(this.branch);
    if (!revision) {
      throw new Error(
        `branch ${this.branch} does not exist in ${this.mirror.url}. Fix configRepo.branch in tidemark.config.yaml`,
      );
    }
    const shown = await runGit(['show', '-s', '--format=%cI', revision], { gitDir: this.mirror.gitDir });
    const files = await this.mirror.readFiles(revision, ['.tidemark/drift.yaml']);
    return {
      revision,
      committedAt: new Date(shown.stdout.toString('utf8').trim()),
      driftRules: files.get('.tidemark/drift.yaml'),
    };
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
    if (this.checkedOut?.revision !== revision) {
      // One checkout at a time: /tmp in Lambda is small, and renders of the previous revision are already cached.
      const dir = join(this.workDir, 'checkout', revision);
      if (this.checkedOut) await rm(this.checkedOut.dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await this.mirror.checkoutTo(revision, dir);
      this.checkedOut = { revision, dir };
      for (const key of this.renders.keys()) if (!key.startsWith(`${revision}:`)) this.renders.delete(key);
    }
    return renderFolder(join(this.checkedOut.dir, path));
  }
}
