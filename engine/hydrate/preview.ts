import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { LiveChanges } from '../../core/hydrate/live-changes';
import { joinRepoPath } from '../../core/hydrate/plan-render-commit';
import type { ClusterSkip, Preview, RenderedFileChange, TargetPreview } from '../../core/hydrate/preview-comment';
import { renderFailureOf } from '../../core/hydrate/render-failure';
import { type RenderTarget, rendersInLambda } from '../../core/hydrate/render-targets';
import { isBookkeeping, METADATA_FILE } from '../../core/hydrate/rendered-files';
import { type RenderPlace, rendererVersions, renderTarget } from './render-target';
import { inputDigest, targetInputs } from './target-inputs';

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
  /**
   * The files of a rendered branch as committed (repo-relative path → text). With it, a target whose inputs are the
   * same on base and head is not rendered: its files are the branch's (what the hydrator committed for the base).
   */
  readBranch?(branch: string): Promise<ReadonlyMap<string, string>>;
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
      const unchanged = after && before && deps.readBranch && (await sameInputs(base.dir, before, head.dir, after));
      if (unchanged) {
        const committed = await committedFiles(deps, branch, after.destination.path);
        targets.push({ target: name, destination, kind: 'rendered', files: [] });
        const merged = branches.get(branch) ?? new Map<string, string>();
        if (branches.has(branch) && branches.get(branch) === undefined) continue;
        for (const [path, text] of committed) merged.set(path, text);
        branches.set(branch, merged);
        const baseMerged = baseBranches.get(branch) ?? new Map<string, string>();
        for (const [path, text] of committed) baseMerged.set(path, text);
        baseBranches.set(branch, baseMerged);
        continue;
      }
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

/** Whether a target reads the same bytes (and is declared the same) on both sides: then it renders the same. */
async function sameInputs(
  baseDir: string,
  before: RenderTarget,
  headDir: string,
  after: RenderTarget,
): Promise<boolean> {
  const [baseInputs, headInputs] = await Promise.all([targetInputs(baseDir, before), targetInputs(headDir, after)]);
  if (!baseInputs || !headInputs) return false;
  const renderers = await rendererVersions(after);
  const [a, b] = await Promise.all([
    inputDigest(baseDir, before, baseInputs, renderers),
    inputDigest(headDir, after, headInputs, renderers),
  ]);
  return a === b;
}

/** The rendered files of a target's folder as committed on its branch, without the hydrator's bookkeeping. */
async function committedFiles(deps: PreviewDeps, branch: string, folder: string): Promise<Map<string, string>> {
  const all = (await branchCache(deps, branch)) ?? new Map<string, string>();
  const prefix = folder === '.' ? '' : `${folder}/`;
  const files = new Map<string, string>();
  for (const [path, text] of all) {
    if (!path.startsWith(prefix)) continue;
    const file = path.slice(prefix.length);
    if (isBookkeeping(file) || file.endsWith(`/${METADATA_FILE}`) || path === '.gitattributes') continue;
    files.set(path, text);
  }
  return files;
}

const branchReads = new WeakMap<PreviewDeps, Map<string, Promise<ReadonlyMap<string, string>>>>();

function branchCache(deps: PreviewDeps, branch: string): Promise<ReadonlyMap<string, string>> | undefined {
  if (!deps.readBranch) return undefined;
  let reads = branchReads.get(deps);
  if (!reads) {
    reads = new Map();
    branchReads.set(deps, reads);
  }
  let read = reads.get(branch);
  if (!read) {
    read = deps.readBranch(branch);
    reads.set(branch, read);
  }
  return read;
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
