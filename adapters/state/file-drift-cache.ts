import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DriftCacheEntries } from '../../core/drift/drift-verdict';
import { type DriftCacheStore, decodeDriftCache, encodeDriftCache, ephemeralDigestKey } from './drift-cache';

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

  /**
   * `digest-key` beside the caches, readable by its owner alone (0600), made on first use: whoever can read the cache
   * files but not the key cannot test a guessed Secret value against the digests in them.
   */
  async digestKey(): Promise<string> {
    const path = join(this.dir, 'digest-key');
    try {
      const key = (await readFile(path, 'utf8')).trim();
      if (key.length >= 32) return key;
    } catch {
      // No key yet: make one below.
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const key = ephemeralDigestKey();
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${key}\n`, { mode: 0o600 });
    await rename(temporary, path);
    return key;
  }
}

function defaultDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tidemark', 'drift');
}
