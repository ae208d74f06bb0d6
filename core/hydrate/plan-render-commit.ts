import type { RenderChanges } from './render-commit-message';
import { isBookkeeping } from './rendered-files';

/** A change to one file: new content, or `null` to delete it (the config-repo adapters' `FileEdit`). */
export interface RenderEdit {
  path: string;
  content: string | null;
}

export type RenderCommitPlan = { kind: 'unchanged' } | { kind: 'commit'; edits: RenderEdit[]; changes: RenderChanges };

/** `a/b` joined, with `.` as the root. */
export function joinRepoPath(folder: string, file: string): string {
  return folder === '.' || folder === '' ? file : `${folder}/${file}`;
}

/**
 * What to commit so that a destination folder holds exactly a render: new and changed files written, files the render
 * no longer produces deleted. `unchanged` when the rendered bytes are what the folder holds already, whatever the
 * bookkeeping files (`hydrator.metadata`, `README.md`) say: a dry commit that renders the same bytes makes no commit.
 *
 * @param current the destination branch's files under `folder` (repo-relative paths), as read at its head.
 * @param rendered the render, by path relative to `folder`.
 * @param bookkeeping metadata files to write with a real change (relative to the repository root), never alone.
 */
export function planRenderCommit(
  folder: string,
  current: ReadonlyMap<string, string>,
  rendered: ReadonlyMap<string, string>,
  bookkeeping: ReadonlyMap<string, string> = new Map(),
): RenderCommitPlan {
  const prefix = folder === '.' || folder === '' ? '' : `${folder}/`;
  const changes: RenderChanges = { added: [], updated: [], deleted: [] };
  const edits: RenderEdit[] = [];
  for (const [file, text] of rendered) {
    const path = joinRepoPath(folder, file);
    const before = current.get(path);
    if (before === text) continue;
    (before === undefined ? changes.added : changes.updated).push(file);
    edits.push({ path, content: text });
  }
  for (const path of current.keys()) {
    if (!path.startsWith(prefix)) continue;
    const file = path.slice(prefix.length);
    if (rendered.has(file) || isBookkeeping(file) || (prefix === '' && isRootBookkeeping(file))) continue;
    changes.deleted.push(file);
    edits.push({ path, content: null });
  }
  if (edits.length === 0) return { kind: 'unchanged' };
  for (const [path, text] of bookkeeping) if (current.get(path) !== text) edits.push({ path, content: text });
  edits.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { kind: 'commit', edits, changes };
}

/** At the root of a rendered branch, `.gitattributes` is Tidemark's too. */
function isRootBookkeeping(file: string): boolean {
  return file === '.gitattributes';
}
