import { isAlias, isCollection, isDocument, isScalar, type Node, parseAllDocuments, visit } from 'yaml';
import type { ScalarSite } from './image-site';

/** Replace the characters `[start, end)` of a scalar's value (absolute offsets in the file) with `text`. */
export interface ScalarEdit {
  site: ScalarSite;
  start: number;
  end: number;
  text: string;
}

/** A rewrite that would have changed more than the intended characters; nothing is written. */
export class RewriteRefused extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: refused to rewrite: ${reason}. The file is left unchanged; edit this line by hand or report it`);
    this.name = 'RewriteRefused';
  }
}

/**
 * Applies edits to the characters of scalar values and proves that nothing else changed: every byte outside the
 * edits is copied as is (comments, quoting, key order, anchors, block scalars, blank lines, document separators and
 * line endings), and the result is re-parsed and compared node by node with the original, where only the edited
 * scalars may differ and each must now read exactly as intended. If the proof fails, throws {@link RewriteRefused}.
 */
export function rewriteYaml(file: string, source: string, edits: readonly ScalarEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start < sorted[i - 1]!.end) throw new RewriteRefused(file, 'two edits overlap');
  }
  let out = '';
  let at = 0;
  const expected = new Map<number, string>();
  for (const edit of sorted) {
    const { site } = edit;
    if (edit.start < site.start || edit.end > site.end) throw new RewriteRefused(file, 'an edit leaves its scalar');
    out += source.slice(at, edit.start) + edit.text;
    at = edit.end;
    const before = expected.get(site.nodeStart) ?? site.text;
    const from = edit.start - site.start - (site.text.length - before.length);
    expected.set(site.nodeStart, before.slice(0, from) + edit.text + before.slice(from + edit.end - edit.start));
  }
  out += source.slice(at);
  verify(file, source, out, expected);
  return out;
}

interface NodeFacts {
  facts: string;
  /** For scalars: where the node starts and its source text between quotes. */
  start?: number;
  text?: string;
}

function describe(source: string): NodeFacts[] | string {
  const docs = parseAllDocuments(source);
  if (!Array.isArray(docs)) return [];
  const out: NodeFacts[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) return doc.errors[0]!.message.split('\n')[0]!;
    out.push({ facts: JSON.stringify(['doc', doc.commentBefore, doc.comment, doc.directives?.docStart]) });
    visit(doc, (_key, node) => {
      if (isDocument(node)) return;
      // An empty value (`key:` or `{a}`) is visited as null: it is part of the structure to compare, not a crash.
      if (node === null || node === undefined) return void out.push({ facts: JSON.stringify(['empty']) });
      const n = node as Node;
      const common = [n.anchor, n.tag, n.comment, n.commentBefore, n.spaceBefore];
      if (isScalar(n)) {
        const [from, to] = n.range ?? [0, 0];
        const quoted = n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE';
        const text = source.slice(quoted ? from + 1 : from, quoted ? to - 1 : to);
        out.push({ facts: JSON.stringify(['scalar', n.type, typeof n.value, ...common]), start: from, text });
        out.push({ facts: JSON.stringify(['value', String(n.value)]) });
      } else if (isAlias(n)) {
        out.push({ facts: JSON.stringify(['alias', n.source, ...common]) });
      } else if (isCollection(n)) {
        out.push({ facts: JSON.stringify([n.constructor.name, n.flow, ...common, n.items.length]) });
      } else {
        out.push({ facts: JSON.stringify(['pair']) });
      }
    });
  }
  return out;
}

function verify(file: string, before: string, after: string, expected: ReadonlyMap<number, string>): void {
  const a = describe(before);
  const b = describe(after);
  if (typeof a === 'string') throw new RewriteRefused(file, `the file is not valid YAML (${a})`);
  if (typeof b === 'string') throw new RewriteRefused(file, `the result would not be valid YAML (${b})`);
  if (a.length !== b.length) throw new RewriteRefused(file, 'the result would have a different structure');
  let seen = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const want = x.start === undefined ? undefined : expected.get(x.start);
    if (want !== undefined) {
      seen++;
      // The source between the quotes must be the new text, and so must the value it parses to: in `'a'''` the
      // source is `a''` but the value is `a'`, an escape the edit did not mean.
      const value = b[i + 1]?.facts;
      if (x.facts !== y.facts || y.text !== want || value !== JSON.stringify(['value', want])) {
        throw new RewriteRefused(file, `the value would read ${JSON.stringify(y.text)}, not ${JSON.stringify(want)}`);
      }
      i++; // the value record of an edited scalar was checked just now
      continue;
    }
    if (x.facts !== y.facts || x.text !== y.text) {
      throw new RewriteRefused(file, `a part not being edited would change (${x.facts} → ${y.facts})`);
    }
  }
  if (seen !== expected.size) throw new RewriteRefused(file, 'an edited scalar was not found after the rewrite');
}
