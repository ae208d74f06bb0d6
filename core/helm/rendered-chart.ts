import type { ManifestFile } from '../sync/render';

/**
 * One document of `helm template` output with the template it came from. Helm prefixes every document with
 * `# Source: <chart>/<path>` (`<chart>/charts/<sub>/templates/…` for a subchart, `<chart>/crds/…` for a CRD file), so
 * the renderer knows, without re-reading the chart, which objects are CRDs from `crds/` and which template to name in
 * a message.
 */
export interface ChartDocument extends ManifestFile {
  /** The template path as Helm prints it, e.g. `redis/templates/master/application.yaml`. */
  path: string;
}

/**
 * Splits `helm template` output into documents, each named by its `# Source:` template. Documents are split on `---`
 * lines as Helm writes them; a document without a Source line (none in Helm's own output) is named `(no source)`.
 *
 * @example
 * splitChartOutput('---\n# Source: web/templates/cm.yaml\napiVersion: v1\n…'); // [{ path: 'web/templates/cm.yaml', text: … }]
 */
export function splitChartOutput(output: string): ChartDocument[] {
  const documents: ChartDocument[] = [];
  // A crds/ file is printed as Helm read it: `# Source:` then the file's own `---` and documents, so a Source line
  // can stand alone before its document, and the later documents of a multi-document file carry none. Each document
  // takes the last Source seen.
  let source = '(no source)';
  for (const text of output.split(/^---[ \t]*$/m)) {
    const named = /^# Source: (.+)$/m.exec(text)?.[1]?.trim();
    if (named !== undefined) source = named;
    if (text.replace(/^#.*$/gm, '').trim() === '') continue;
    documents.push({ path: source, text });
  }
  return documents;
}

/** True when Helm read the document from a chart's (or subchart's) `crds/` folder. */
export function isFromCrdsFolder(templatePath: string): boolean {
  return /^[^/]+\/(charts\/[^/]+\/)*crds\//.test(templatePath);
}
