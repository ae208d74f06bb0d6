import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { planRenderCommit } from '../../core/hydrate/plan-render-commit';
import type { RenderChanges } from '../../core/hydrate/render-commit-message';
import { failureWhere, renderFailureOf } from '../../core/hydrate/render-failure';
import type { RenderTarget } from '../../core/hydrate/render-targets';
import { renderTarget } from './render-target';

/** What `tidemark render` did with one target. */
export type LocalRender =
  | { target: string; destination: string; kind: 'current' }
  /** `--check`: the committed output is not what the dry sources render. */
  | { target: string; destination: string; kind: 'stale'; changes: RenderChanges }
  | { target: string; destination: string; kind: 'written'; changes: RenderChanges; folder: string }
  | { target: string; destination: string; kind: 'failed'; message: string; where?: string };

export interface LocalRenderOptions {
  /** Compare only; write nothing. */
  check: boolean;
  /**
   * The output as committed, repo-relative path → text, under the target's destination folder: the working tree for a
   * folder of the dry branch, the rendered branch as the local clone knows it for a branch.
   */
  committed(target: RenderTarget): Promise<Map<string, string>>;
  /** Where a target's files are written: the checkout for a folder of the dry branch, a scratch folder for a branch. */
  writeRoot(target: RenderTarget): string;
}

/**
 * `tidemark render`: every target rendered as the hydrator renders it (twice, refused when the runs differ), including
 * the program generators the Lambda leaves to CI (CDK8s, commands), then either compared with the committed output
 * (`--check`: stale when a file would be added, changed or deleted) or written (files the render no longer produces
 * deleted; `hydrator.metadata` and `README.md` are the hydrator's and are neither compared nor written).
 */
export async function renderLocally(
  dir: string,
  targets: readonly RenderTarget[],
  options: LocalRenderOptions,
): Promise<LocalRender[]> {
  const results: LocalRender[] = [];
  for (const target of targets) {
    const destination = `${target.destination.branch ? `${target.destination.branch}:` : ''}${target.destination.path}`;
    try {
      const rendered = await renderTarget(dir, target, 'local');
      const committed = await options.committed(target);
      const plan = planRenderCommit(target.destination.path, committed, rendered.files);
      if (plan.kind === 'unchanged') {
        results.push({ target: target.name, destination, kind: 'current' });
        continue;
      }
      if (options.check) {
        results.push({ target: target.name, destination, kind: 'stale', changes: plan.changes });
        continue;
      }
      const root = options.writeRoot(target);
      for (const edit of plan.edits) {
        const path = join(root, edit.path);
        if (edit.content === null) await rm(path, { force: true });
        else {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, edit.content);
        }
      }
      results.push({
        target: target.name,
        destination,
        kind: 'written',
        changes: plan.changes,
        folder: join(root, target.destination.path),
      });
    } catch (error) {
      const failure = renderFailureOf(error, dir);
      const where = failureWhere(failure);
      results.push({
        target: target.name,
        destination,
        kind: 'failed',
        message: failure.message,
        ...(where ? { where } : {}),
      });
    }
  }
  return results;
}
