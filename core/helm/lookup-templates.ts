/**
 * Which templates of a chart call Helm's `lookup`, directly or through the named templates they `include`. Those are
 * the templates whose output depends on what the cluster holds: rendered without the cluster (a dry render), their
 * `lookup` returns an empty map and they may render something else than an install would, so the renderer warns
 * naming them and the drift scanner reports their objects as unjudgeable rather than as drifted.
 *
 * Why by reading the templates and not by asking Helm: Helm has no way to report which functions a render called.
 * The scan is conservative: a `define` block is taken to run to the next `define`, so it may name a template too
 * many, never one too few.
 *
 * @param files the chart's files, paths relative to its root (`templates/…`, `charts/<sub>/templates/…`).
 * @param chartName the chart's name, which Helm puts first in each `# Source:` path.
 * @returns template paths as Helm's `# Source:` lines print them (`redis/templates/secret.yaml`).
 */
export function templatesUsingLookup(files: readonly { path: string; text: string }[], chartName: string): Set<string> {
  const templates = files.filter((f) => /(^|\/)templates\/.+\.(ya?ml|tpl|txt)$/.test(f.path));
  const defines = new Map<string, string>();
  for (const file of templates) {
    const parts = file.text.split(/(?=\{\{-?\s*define\s+")/);
    for (const part of parts) {
      const name = /^\{\{-?\s*define\s+"([^"]+)"/.exec(part)?.[1];
      if (name !== undefined) defines.set(name, (defines.get(name) ?? '') + part);
    }
  }
  const usesLookup = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, body] of defines) {
      if (!usesLookup.has(name) && calls(body, usesLookup)) {
        usesLookup.add(name);
        changed = true;
      }
    }
  }
  const result = new Set<string>();
  for (const file of templates) {
    const base = file.path.split('/').at(-1) ?? '';
    if (base.startsWith('_')) continue; // partials render nothing themselves
    if (calls(file.text, usesLookup)) result.add(`${chartName}/${file.path}`);
  }
  return result;
}

const lookupCall = /(?<![\w.$])lookup\s/;
const includeCall = /\b(?:include|template)\s+"([^"]+)"/g;

function calls(text: string, lookupDefines: ReadonlySet<string>): boolean {
  if (lookupCall.test(text)) return true;
  for (const match of text.matchAll(includeCall)) if (lookupDefines.has(match[1] as string)) return true;
  return false;
}
