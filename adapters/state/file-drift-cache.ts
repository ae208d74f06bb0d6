import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DriftCacheEntries } from '../../core/drift/drift-verdict';
import { type DriftCacheStore, decodeDriftCache, encodeDriftCache } from './drift-cache';

/**
 * `tidemark diff`'s drift cache: one file per API server and Sync under `$XDG_CACHE_HOME/tidemark/drift` (or
 * `~/.cache/tidemark/drift`). The server is part of the name because resourceVersions of two clusters can coincide.
 */
export class FileDriftCache implements DriftCacheStore {
  readonly path: string;

  constructor(
    server: string,
    selector: string,
    readonly dir = defaultDir(),
  ) {
    const name = createHash('sha256').update(`${server}\n${selector}`).digest('hex').slice(0, 24);
    this.path = join(dir, `${name}.json.gz`);
  }

  async load(): Promise<DriftCacheEntries> {
    try {
      return decodeDriftCache(await readFile(this.path));
    } catch {
      return new Map();
    }
  }

  async save(entries: DriftCacheEntries): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true });
    // Write then rename, so a diff interrupted mid-write leaves the previous cache, not a torn file.
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, encodeDriftCache(entries));
    await rename(temporary, this.path);
  }
}

function defaultDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tidemark', 'drift');
}
