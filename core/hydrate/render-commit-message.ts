import type { DryCommit } from './hydrator-metadata';

/** The git trailers that link a rendered commit to its dry commit. */
export const SOURCE_COMMIT_TRAILER = 'Tidemark-Source-Commit';
export const SOURCE_AUTHOR_TRAILER = 'Tidemark-Source-Author';
export const SOURCE_SUBJECT_TRAILER = 'Tidemark-Source-Subject';
export const RENDER_TARGET_TRAILER = 'Tidemark-Render-Target';

/** What a render changed in its destination folder. */
export interface RenderChanges {
  added: string[];
  updated: string[];
  deleted: string[];
}

/**
 * The message of a rendered commit: the target and the dry commit in the subject, what changed in the body, and
 * trailers a script can read back with `git interpret-trailers --parse` (or `git log --format=%(trailers:key=…)`).
 *
 * @example
 * renderCommitMessage('web-dev', dry, { added: [], updated: ['shop/Deployment-web.yaml'], deleted: [] })
 * // Render web-dev from 1a2b3c4: Scale web to 3
 * //
 * // Updated shop/Deployment-web.yaml.
 * //
 * // Tidemark-Source-Commit: 1a2b3c4…
 * // Tidemark-Source-Author: Ann <ann@example.com>
 * // Tidemark-Source-Subject: Scale web to 3
 * // Tidemark-Render-Target: web-dev
 */
export function renderCommitMessage(target: string, dry: DryCommit, changes: RenderChanges): string {
  const body: string[] = [];
  const list = (verb: string, files: string[]) => {
    if (files.length === 0) return;
    const shown = files.slice(0, 20).join(', ');
    body.push(`${verb} ${shown}${files.length > 20 ? ` and ${files.length - 20} more` : ''}.`);
  };
  list('Added', changes.added);
  list('Updated', changes.updated);
  list('Deleted', changes.deleted);
  const subject = oneLine(dry.subject);
  return [
    `Render ${target} from ${dry.sha.slice(0, 7)}${subject ? `: ${subject}` : ''}`.slice(0, 200),
    '',
    ...body,
    '',
    `${SOURCE_COMMIT_TRAILER}: ${dry.sha}`,
    ...(dry.author ? [`${SOURCE_AUTHOR_TRAILER}: ${oneLine(dry.author)}`] : []),
    ...(subject ? [`${SOURCE_SUBJECT_TRAILER}: ${subject}`] : []),
    `${RENDER_TARGET_TRAILER}: ${target}`,
    '',
  ].join('\n');
}

/** A trailer value is one line: line breaks and control characters become spaces. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** The trailers of a commit message (the last paragraph of `Key: value` lines), by key. */
export function trailersOf(message: string): Map<string, string> {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs.at(-1) ?? '';
  const out = new Map<string, string>();
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z][\w-]*):\s?(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}
