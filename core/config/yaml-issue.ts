import { type Document, isNode, type LineCounter } from 'yaml';
import type * as z from '../zod';

/**
 * Where a schema issue sits in the YAML it was parsed from: the 1-based line of the deepest node of the issue's path
 * that exists (a missing key is reported at the map that should hold it), and the key as a reader writes it
 * (`policies[0].strategy.semver`). The one place the `.tidemark/*.yaml` files turn a zod issue into "file:line: key".
 */
export function locateIssue(
  doc: Document,
  lines: LineCounter,
  issue: z.core.$ZodIssue,
): { line: number; key: string; missing: boolean } {
  let line = 1;
  for (let depth = issue.path.length; depth >= 0; depth--) {
    const node = doc.getIn(issue.path.slice(0, depth) as (string | number)[], true);
    if (isNode(node) && node.range) {
      line = lines.linePos(node.range[0]).line;
      break;
    }
  }
  const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
  return { line, key: keyOf(issue.path) || '(top level)', missing };
}

/** `policies[0].strategy.semver` from a zod path. */
export function keyOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (key, part) => (typeof part === 'number' ? `${key}[${part}]` : key ? `${key}.${String(part)}` : String(part)),
    '',
  );
}
