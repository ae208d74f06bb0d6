import { createTwoFilesPatch } from 'diff';
import { type LiveChanges, liveChangeLine } from './live-changes';

/** The hidden first line that finds Tidemark's comment among a pull request's comments, to edit it in place. */
export const PREVIEW_MARKER = '<!-- tidemark:preview -->';
/** GitHub refuses an issue comment body over 65,536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** The commit status context of the preview. */
export const PREVIEW_STATUS_CONTEXT = 'tidemark/preview';

/** One file of a target's render that the pull request changes. */
export interface RenderedFileChange {
  /** Repo-relative path in the destination branch. */
  path: string;
  before?: string;
  after?: string;
}

/** A target's render on the base and the head of the pull request. */
export type TargetPreview =
  | { target: string; destination: string; kind: 'rendered'; files: RenderedFileChange[] }
  | { target: string; destination: string; kind: 'failed'; message: string }
  /** Rendered in CI by `tidemark render` (CDK8s, commands): the Lambda does not run their programs. */
  | { target: string; destination: string; kind: 'not-rendered'; reason: string };

/** A cluster the preview could not compare with (unreachable, forbidden), or chose not to (a fork's pull request). */
export interface ClusterSkip {
  cluster: string;
  reason: string;
}

export interface Preview {
  baseSha: string;
  headSha: string;
  targets: TargetPreview[];
  clusters: LiveChanges[];
  skippedClusters: ClusterSkip[];
}

export interface PreviewStatus {
  state: 'success' | 'failure';
  /** GitHub keeps 140 characters of a status description. */
  description: string;
}

/**
 * The commit status: failed when a target did not render, a cluster's prune would exceed its `maxPrunePercent`, or
 * the API server would refuse a manifest, naming the first reason; otherwise what changes, in a few words.
 */
export function previewStatus(preview: Preview): PreviewStatus {
  const reasons = [
    ...preview.targets.flatMap((t) => (t.kind === 'failed' ? [`${t.target} does not render: ${t.message}`] : [])),
    ...preview.clusters.flatMap((c) => c.failures.map((f) => `${c.cluster}: ${f}`)),
  ];
  if (reasons.length > 0) {
    const more = reasons.length > 1 ? ` (+${reasons.length - 1} more)` : '';
    return { state: 'failure', description: cut(`${reasons[0]}`, 140 - more.length) + more };
  }
  const files = preview.targets.reduce((n, t) => n + (t.kind === 'rendered' ? t.files.length : 0), 0);
  const objects = preview.clusters.reduce((n, c) => n + c.changes.length, 0);
  const description =
    files === 0 && objects === 0
      ? 'No change to rendered manifests or live clusters'
      : `${plural(files, 'rendered file')} and ${plural(objects, 'live object')} change`;
  return { state: 'success', description: cut(description, 140) };
}

/**
 * The pull request comment: the hidden marker, the verdict, per cluster what would change in the live cluster, and per
 * target the rendered diff. It always fits GitHub's 65,536 characters: diffs are cut first (longest first, each to a
 * share of the room left), then replaced by a list of changed files, then the per-object lines are cut, each step
 * saying what was left out.
 */
export function previewComment(preview: Preview, limit = GITHUB_COMMENT_LIMIT): string {
  const status = previewStatus(preview);
  const head = [
    PREVIEW_MARKER,
    '## Tidemark preview',
    '',
    `${status.state === 'success' ? '✅' : '❌'} ${escapeMarkdown(status.description)}. Rendered \`${short(preview.headSha)}\` (head) against \`${short(preview.baseSha)}\` (base).`,
    '',
  ].join('\n');
  const live = liveSection(preview);
  const maxObjectLines = [Number.POSITIVE_INFINITY, 200, 50, 10, 0];
  for (const objectLines of maxObjectLines) {
    const liveText = live(objectLines);
    const room = limit - head.length - liveText.length - 200;
    const rendered = renderedSection(preview, room);
    if (rendered !== undefined) return `${head}${liveText}${rendered}`;
  }
  return cut(
    `${head}${live(0)}\n_The rendered diff is too large to show here; run \`tidemark render\` locally._\n`,
    limit,
  );
}

function liveSection(preview: Preview): (maxLines: number) => string {
  return (maxLines) => {
    if (preview.clusters.length === 0 && preview.skippedClusters.length === 0) return '';
    const out = ['### Live clusters', ''];
    for (const c of preview.clusters) {
      out.push(
        `**${escapeMarkdown(c.cluster)}**: ${c.changes.length === 0 ? 'nothing would change' : `${plural(c.changes.length, 'object')} would change`}`,
      );
      for (const f of c.failures) out.push(`- ❌ ${escapeMarkdown(f)}`);
      const shown = c.changes.slice(0, maxLines);
      for (const change of shown) out.push(`- ${escapeMarkdown(liveChangeLine(change))}`);
      if (shown.length < c.changes.length) out.push(`- …and ${c.changes.length - shown.length} more`);
      out.push('');
    }
    for (const s of preview.skippedClusters)
      out.push(`**${escapeMarkdown(s.cluster)}**: not compared (${escapeMarkdown(s.reason)})`, '');
    return `${out.join('\n')}\n`;
  };
}

/** The rendered diffs within `room` characters, or undefined when even the file lists do not fit. */
function renderedSection(preview: Preview, room: number): string | undefined {
  if (room <= 0) return undefined;
  const title = '### Rendered manifests\n\n';
  const blocks = preview.targets.map((t) => targetBlock(t));
  const full = title + blocks.map((b) => b.summary + b.diff + b.end).join('');
  if (full.length <= room) return full;
  // Cut diffs: each target gets a fair share of what is left after every summary, the short ones giving theirs back.
  const fixed = title.length + blocks.reduce((n, b) => n + b.summary.length + b.end.length + cutNote.length, 0);
  let left = room - fixed;
  if (left > 0) {
    const order = blocks.map((b, i) => ({ i, len: b.diff.length })).sort((a, b) => a.len - b.len);
    const allowed = new Map<number, number>();
    order.forEach(({ i, len }, k) => {
      const share = Math.floor(left / (order.length - k));
      const take = Math.min(len, share);
      allowed.set(i, take);
      left -= take;
    });
    const cutText =
      title +
      blocks
        .map((b, i) => {
          const take = allowed.get(i) ?? 0;
          if (take >= b.diff.length) return b.summary + b.diff + b.end;
          const lines = b.diff.slice(0, take).split('\n').slice(0, -1).join('\n');
          return `${b.summary}${lines ? `${lines}\n` : ''}${b.end}${cutNote}`;
        })
        .join('');
    if (cutText.length <= room) return cutText;
  }
  const lists = title + blocks.map((b) => b.list).join('');
  return lists.length <= room ? lists : undefined;
}

const cutNote = "_Diff cut to fit GitHub's comment limit; `tidemark render` shows it all._\n\n";

function targetBlock(t: TargetPreview): { summary: string; diff: string; end: string; list: string } {
  const name = `**${escapeMarkdown(t.target)}** → \`${t.destination}\``;
  if (t.kind === 'failed') {
    const text = `${name}: ❌ does not render\n\n\`\`\`\n${t.message.replaceAll('```', "'''")}\n\`\`\`\n\n`;
    return { summary: text, diff: '', end: '', list: text };
  }
  if (t.kind === 'not-rendered') {
    const text = `${name}: not rendered here (${escapeMarkdown(t.reason)})\n\n`;
    return { summary: text, diff: '', end: '', list: text };
  }
  if (t.files.length === 0) {
    const text = `${name}: no change\n\n`;
    return { summary: text, diff: '', end: '', list: text };
  }
  const stats = t.files.map((f) => ({ f, ...lineCounts(f) }));
  const added = stats.reduce((n, s) => n + s.added, 0);
  const removed = stats.reduce((n, s) => n + s.removed, 0);
  const summary = `<details><summary>${name}: ${plural(t.files.length, 'file')} (+${added} −${removed})</summary>\n\n\`\`\`diff\n`;
  const diff = stats.map((s) => s.patch).join('');
  const end = '```\n\n</details>\n\n';
  const list = `${stats.map((s) => `- \`${s.f.path}\` ${s.f.before === undefined ? 'added' : s.f.after === undefined ? 'deleted' : 'changed'} (+${s.added} −${s.removed})`).join('\n')}\n\n</details>\n\n`;
  // A rendered file holding three backticks would end the code block early.
  const listed = `${summary.replace('\n\n```diff\n', '\n\n')}${list}`;
  return { summary, diff: diff.replaceAll('```', "'''"), end, list: listed };
}

function lineCounts(f: RenderedFileChange): { added: number; removed: number; patch: string } {
  const patch = createTwoFilesPatch(
    f.before === undefined ? '/dev/null' : `a/${f.path}`,
    f.after === undefined ? '/dev/null' : `b/${f.path}`,
    f.before ?? '',
    f.after ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop jsdiff's "Index:"/"====" preamble: a reviewer reads git's form.
  const body = patch
    .split('\n')
    .filter((line, i) => i > 1 || !(line.startsWith('Index:') || line.startsWith('====')))
    .join('\n');
  let added = 0;
  let removed = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added++;
    else if (line.startsWith('-') && !line.startsWith('---')) removed++;
  }
  return { added, removed, patch: body.endsWith('\n') ? body : `${body}\n` };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function short(sha: string): string {
  return /^[0-9a-f]{40,64}$/.test(sha) ? sha.slice(0, 7) : sha;
}

/** Markdown outside code: names and messages come from the repository, so they must not open links or HTML. */
function escapeMarkdown(text: string): string {
  return text
    .replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))
    .replace(/([`*_[\]])/g, '\\$1');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}
