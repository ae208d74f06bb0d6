import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckoutCache } from '../../adapters/git/checkout-cache';
import type { GitCredentials } from '../../adapters/git/run-git';
import type { KubeObject } from '../../core/sync/kube-object';
import { renderFolder } from '../../engine/render/render-folder';

/** What Git says at the branch head: the checkout, the ignore rules, and a renderer of its folders. */
export interface DesiredState {
  revision: string;
  committedAt: Date;
  /** The checkout of the head; a cluster's folder is `join(dir, path)`. */
  dir: string;
  /** Text of `.tidemark/drift.yaml` at the head, if the repo has one. */
  driftRules: string | undefined;
  /**
   * Renders a folder of the checkout with the agent's renderer, once per revision and folder. Remote kustomize
   * resources only with `remoteResources`, which the folder's Sync sets (`spec.remoteResources`), as the agent does.
   */
  render(dir: string, options?: { remoteResources?: boolean }): Promise<KubeObject[]>;
}

/**
 * The config repo at its branch head, for the drift scanner: one fetch per scan run into the checkout cache the agent
 * uses too, and renders remembered per revision and folder for the life of the container, so scans of an unchanged
 * repo cost one `git fetch`, and clusters that apply the same path render it once.
 */
export class DesiredStateSource {
  private readonly renders = new Map<string, Promise<KubeObject[]>>();

  private constructor(
    private readonly url: string,
    private readonly branch: string,
    private readonly checkouts: CheckoutCache,
    private readonly credentials?: () => Promise<GitCredentials>,
  ) {}

  static async open(options: {
    url: string;
    branch: string;
    /** Asked before each fetch: a GitHub App's installation token expires after an hour. */
    credentials?: () => Promise<GitCredentials>;
    workDir?: string;
  }): Promise<DesiredStateSource> {
    // Per process: git locks its refs, so two processes (test workers, `tidemark demo` next to a test) must not share
    // a mirror. A Lambda container runs one process, so its /tmp keeps one mirror across warm invocations; one
    // checkout at a time, since /tmp is small and a scan run renders one revision.
    if (!options.workDir) await removeFoldersOfEndedProcesses();
    const workDir = options.workDir ?? join(tmpdir(), `tidemark-drift-${process.pid}`);
    return new DesiredStateSource(
      options.url,
      options.branch,
      new CheckoutCache(workDir, { keep: 1 }),
      options.credentials,
    );
  }

  /**
   * A source opened on first use with what `settings` resolves to (the credentials come from a secret), and opened
   * again on the next use when that failed: a missing secret may be fixed between two scans.
   */
  static lazily(
    settings: () => Promise<{ url: string; branch: string; credentials?: () => Promise<GitCredentials> }>,
  ): () => Promise<DesiredStateSource> {
    let source: Promise<DesiredStateSource> | undefined;
    return () => {
      source ??= settings().then((s) => DesiredStateSource.open(s));
      source.catch(() => {
        source = undefined;
      });
      return source;
    };
  }

  /** Fetches and checks out the head; call once per scan run, then render each cluster's folder of it. */
  async head(): Promise<DesiredState> {
    const checkout = await this.checkouts.fetch(this.url, this.branch, await this.credentials?.());
    // Renders of an older revision are not needed again: its checkout is gone.
    for (const dir of this.renders.keys()) if (!dir.startsWith(`${checkout.dir}/`)) this.renders.delete(dir);
    return {
      revision: checkout.revision,
      committedAt: await checkout.committedAt(),
      dir: checkout.dir,
      driftRules: await readFile(join(checkout.dir, '.tidemark/drift.yaml'), 'utf8').catch(() => undefined),
      render: (dir, options) => this.render(dir, checkout.dir, options?.remoteResources ?? false),
    };
  }

  private render(dir: string, checkout: string, remoteResources: boolean): Promise<KubeObject[]> {
    const key = `${dir}\0${remoteResources}`;
    let render = this.renders.get(key);
    if (!render) {
      // Nothing outside the checkout, and remote kustomize resources only where the cluster's Sync opted in: whoever
      // can commit must not make the Lambda anyone's SSRF client.
      render = renderFolder(dir, { confine: { root: checkout, remoteResources } });
      this.renders.set(key, render);
      // A failed render (a broken manifest) is retried on the next scan rather than remembered.
      render.catch(() => this.renders.delete(key));
    }
    return render;
  }
}

/**
 * The config repo's head, fetched once per run and shared by every cluster. When Git cannot be read, each cluster's
 * scan fails with the reason (and alerts once), rather than the whole run throwing.
 */
export async function headOrFailure(source: () => Promise<DesiredStateSource>): Promise<() => Promise<DesiredState>> {
  try {
    const head = await (await source()).head();
    return async () => head;
  } catch (error) {
    const message = `cannot read the config repo: ${(error as Error).message}`;
    return async () => {
      throw new Error(message);
    };
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
