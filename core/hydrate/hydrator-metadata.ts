/** The dry commit a render came from, as git tells it. */
export interface DryCommit {
  sha: string;
  /** `Name <email>` */
  author: string;
  /** ISO 8601 author date. */
  date: string;
  subject: string;
  /** The message after the subject line, without its trailing newline. */
  body: string;
}

/**
 * The `hydrator.metadata` file, in the shape Argo CD's Source Hydrator writes (its commit server's
 * `HydratorCommitMetadata`: `repoURL`, `drySha`, `commands`, `author`, `date`, `subject`, `body`, `references`,
 * JSON indented by two spaces, empty fields left out), so Argo-side tooling (GitOps Promoter reads `drySha` at the
 * branch root) reads a Tidemark-rendered branch as its own. `tidemark` carries what the hydrator needs to skip an
 * unchanged target; JSON readers that do not know it ignore it, as Go's encoding/json does.
 */
export interface HydratorMetadata {
  repoURL: string;
  drySha: string;
  commands?: string[];
  author?: string;
  date?: string;
  subject?: string;
  body?: string;
  tidemark?: {
    /** The render target, or absent at the root of a rendered branch holding several. */
    target?: string;
    /** sha256 of everything the render read (see engine/hydrate/input-digest.ts). */
    inputs?: string;
    /** Versions of the programs that rendered: `kustomize v5.7.1`, `helm v3.22.0`. */
    renderers?: string[];
  };
}

/** The metadata text for a dry commit (and a target, for the file inside the target's folder). */
export function hydratorMetadata(
  repoURL: string,
  dry: DryCommit,
  extra: { commands?: string[]; target?: string; inputs?: string; renderers?: string[] } = {},
): string {
  const metadata: HydratorMetadata = {
    repoURL,
    drySha: dry.sha,
    ...(extra.commands && extra.commands.length > 0 ? { commands: extra.commands } : {}),
    ...(dry.author ? { author: dry.author } : {}),
    ...(dry.date ? { date: dry.date } : {}),
    ...(dry.subject ? { subject: dry.subject } : {}),
    ...(dry.body ? { body: dry.body } : {}),
  };
  const tidemark = {
    ...(extra.target ? { target: extra.target } : {}),
    ...(extra.inputs ? { inputs: extra.inputs } : {}),
    ...(extra.renderers && extra.renderers.length > 0 ? { renderers: extra.renderers } : {}),
  };
  if (Object.keys(tidemark).length > 0) metadata.tidemark = tidemark;
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

/** Reads a `hydrator.metadata` file (Tidemark's or Argo CD's); `undefined` when it is not one. */
export function parseHydratorMetadata(text: string | undefined): HydratorMetadata | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<HydratorMetadata>;
    if (typeof value !== 'object' || value === null || typeof value.drySha !== 'string') return undefined;
    return value as HydratorMetadata;
  } catch {
    return undefined;
  }
}

/**
 * The README.md Argo CD writes beside hydrated manifests, saying how to reproduce them; `linguist-generated` in the
 * rendered branch's `.gitattributes` folds it (and the metadata) away in GitHub's diffs.
 */
export function hydratorReadme(repoURL: string, dry: DryCommit, commands: readonly string[]): string {
  return [
    '# Manifest Hydration',
    '',
    'These manifests are rendered by Tidemark from a dry source; do not edit them here. To render them again, run:',
    '',
    '```shell',
    `git clone ${repoURL}`,
    '# cd into the cloned directory',
    `git checkout ${dry.sha}`,
    ...commands,
    '```',
    '',
  ].join('\n');
}

/** The `.gitattributes` of a rendered branch: GitHub folds generated files in pull request diffs. */
export const renderedGitAttributes =
  '**/README.md linguist-generated=true\n**/hydrator.metadata linguist-generated=true\n';
