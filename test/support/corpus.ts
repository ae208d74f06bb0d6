import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The shared corpus of real-world manifests and charts (`../shared/corpus/` beside the checkout; provenance in its
 * SOURCES.md). Tests and benchmarks read it at run time and never commit a copy: copy into a temporary folder to
 * change a file. `TIDEMARK_CORPUS` overrides the location, for a checkout that is not beside `shared/` (a git
 * worktree, a clone in /tmp).
 */
export function corpusDir(): string {
  const candidates = [
    process.env.TIDEMARK_CORPUS,
    resolve(import.meta.dirname, '../../../shared/corpus'),
    '/work/shared/corpus',
  ].filter((dir): dir is string => dir !== undefined && dir !== '');
  const found = candidates.find((dir) => existsSync(join(dir, 'SOURCES.md')));
  if (found === undefined) {
    throw new Error(
      `the shared corpus was not found (looked in ${candidates.join(', ')}). Set TIDEMARK_CORPUS to the folder that holds SOURCES.md`,
    );
  }
  return found;
}

/** A path inside the corpus, e.g. `corpusPath('helm-charts', 'podinfo')`. */
export function corpusPath(...parts: string[]): string {
  return join(corpusDir(), ...parts);
}
