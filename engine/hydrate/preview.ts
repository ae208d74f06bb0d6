import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { LiveChanges } from '../../core/hydrate/live-changes';
import { joinRepoPath } from '../../core/hydrate/plan-render-commit';
import type { ClusterSkip, Preview, RenderedFileChange, TargetPreview } from '../../core/hydrate/preview-comment';
import { renderFailureOf } from '../../core/hydrate/render-failure';
import { type RenderTarget, rendersInLambda } from '../../core/hydrate/render-targets';
import { type RenderPlace, renderTarget } from './render-target';

/** One side of a pull request, checked out, with the targets its `.tidemark/render.yaml` declares. */
export interface PreviewSide {
  dir: string;
  sha: string;
  targets: readonly RenderTarget[];
}

export interface PreviewCluster {
  name: string;
  path: string;
  branch?: string;
}

export interface PreviewDeps {
  place: RenderPlace;
  /** The branch `.tidemark/render.yaml` is read from. */
  dryBranch: string;
  clusters?: readonly PreviewCluster[];
  /**
   * What applying `dir` (the folder the cluster's agent would apply after the merge) would change in the live
   * cluster: the drift scanner's read-only dry-run path. `kinds` are those the base renders there, so objects of a
   * kind the head no longer renders are found (and shown pruned). Absent: no cluster is compared.
   */
  liveChanges?(
    cluster: PreviewCluster,
    dir: string,
    kinds: readonly { apiVersion: string; kind: string }[],
  ): Promise<LiveChanges>;
  chartCache?: string;
}

/**
 * What a pull request would change: per target, the rendered files on the base and on the head (a target only on one
 * side renders to nothing on the other); per cluster that applies a rendered branch (or a folder of the dry branch),
 * what would change in the live cluster once the head is merged and rendered.
 */
export async function previewChanges(base: PreviewSide, head: PreviewSide, deps: PreviewDeps): Promise<Preview> {
  const targets: TargetPreview[] = [];
  /** The head's render per destination branch: repo-relative path → text; `undefined` once a target failed there. */
  const branches = new Map<string, Map<string, string> | undefined>();
  /** The base's render per destination branch, for the kinds a merge could prune. */
  const baseBranches = new Map<string, Map<string, string>>();
  const names = [...new Set([...head.targets.map((t) => t.name), ...base.targets.map((t) => t.name)])];
  for (const name of names) {
    const after = head.targets.find((t) => t.name === name);
    const before = base.targets.find((t) => t.name === name);
    const shown = (after ?? before)!;
    const destination = `${shown.destination.branch ?? deps.dryBranch}:${shown.destination.path}`;
    if (!rendersInLambda(shown.source) && deps.place === 'lambda') {
      targets.push({
        target: name,
        destination,
        kind: 'not-rendered',
        reason: `a ${shown.source.kind} target renders in CI (tidemark render --check)`,
      });
      continue;
    }
    const branch = (after ?? before)!.destination.branch ?? deps.dryBranch;
    let headFiles: Map<string, string>;
    try {
      headFiles = after ? await filesOf(head.dir, after, deps) : new Map();
    } catch (error) {
      targets.push({ target: name, destination, kind: 'failed', message: renderFailureOf(error, head.dir).message });
      branches.set(branch, undefined);
      continue;
    }
    // A base that does not render (it was broken before this pull request) counts as rendering nothing.
    const baseFiles = before
      ? await filesOf(base.dir, before, deps).catch(() => new Map<string, string>())
      : new Map<string, string>();
    const baseMerged = baseBranches.get(branch) ?? new Map<string, string>();
    for (const [path, text] of baseFiles) baseMerged.set(path, text);
    baseBranches.set(branch, baseMerged);
    const files: RenderedFileChange[] = [];
    for (const path of [...new Set([...baseFiles.keys(), ...headFiles.keys()])].sort()) {
      const was = baseFiles.get(path);
      const will = headFiles.get(path);
      if (was === will) continue;
      files.push({
        path: `${branch}:${path}`,
        ...(was !== undefined ? { before: was } : {}),
        ...(will !== undefined ? { after: will } : {}),
      });
    }
    targets.push({ target: name, destination, kind: 'rendered', files });
    if (branches.has(branch) && branches.get(branch) === undefined) continue;
    const merged = branches.get(branch) ?? new Map<string, string>();
    for (const [path, text] of headFiles) merged.set(path, text);
    branches.set(branch, merged);
  }
  const clusters: LiveChanges[] = [];
  const skippedClusters: ClusterSkip[] = [];
  if (deps.liveChanges) {
    for (const cluster of deps.clusters ?? []) {
      const branch = cluster.branch ?? deps.dryBranch;
      try {
        if (branch === deps.dryBranch && !branches.has(branch)) {
          clusters.push(await deps.liveChanges(cluster, join(head.dir, cluster.path), []));
          continue;
        }
        if (!branches.has(branch)) continue; // a branch no target renders: this pull request cannot change it
        const files = branches.get(branch);
        if (files === undefined) {
          skippedClusters.push({ cluster: cluster.name, reason: `a target of ${branch} does not render` });
          continue;
        }
        const kinds = kindsOf(baseBranches.get(branch), cluster.path);
        clusters.push(await withFiles(files, cluster.path, (dir) => deps.liveChanges!(cluster, dir, kinds)));
      } catch (error) {
        skippedClusters.push({ cluster: cluster.name, reason: (error as Error).message.split('\n')[0]!.slice(0, 300) });
      }
    }
  }
  return { baseSha: base.sha, headSha: head.sha, targets, clusters, skippedClusters };
}

/** The kinds of the rendered files under `folder`. */
function kindsOf(
  files: ReadonlyMap<string, string> | undefined,
  folder: string,
): { apiVersion: string; kind: string }[] {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const [path, text] of files ?? []) {
    if (folder !== '.' && !path.startsWith(`${folder}/`)) continue;
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as { apiVersion?: unknown; kind?: unknown } | null;
      if (typeof o?.apiVersion === 'string' && typeof o.kind === 'string')
        kinds.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
    }
  }
  return [...kinds.values()];
}

/** A target's render, by repo-relative path in its destination branch. */
async function filesOf(dir: string, target: RenderTarget, deps: PreviewDeps): Promise<Map<string, string>> {
  const rendered = await renderTarget(dir, target, deps.place, { chartCache: deps.chartCache });
  return new Map([...rendered.files].map(([file, text]) => [joinRepoPath(target.destination.path, file), text]));
}

/** Writes a rendered branch's files to a scratch folder and runs `work` on the cluster's folder of it. */
async function withFiles<T>(
  files: ReadonlyMap<string, string>,
  path: string,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'tidemark-preview-'));
  try {
    for (const [file, text] of files) {
      await mkdir(dirname(join(root, file)), { recursive: true });
      await writeFile(join(root, file), text);
    }
    const dir = join(root, path);
    await mkdir(dir, { recursive: true });
    return await work(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
