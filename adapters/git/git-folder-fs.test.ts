import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitFolderFs } from './git-folder-fs';

const oid = 'ab'.padEnd(40, '0');

describe('gitFolderFs', () => {
  it('lists packs once, and again after a write into objects/pack', async () => {
    const gitDir = mkdtempSync(join(tmpdir(), 'tidemark-gitfs-'));
    mkdirSync(join(gitDir, 'objects', 'pack'), { recursive: true });
    const { promises } = gitFolderFs(gitDir);
    expect(await promises.readdir(join(gitDir, 'objects', 'pack'))).toEqual([]);
    writeFileSync(join(gitDir, 'objects', 'pack', 'behind-our-back.idx'), '');
    expect(await promises.readdir(join(gitDir, 'objects', 'pack'))).toEqual([]); // remembered, by design
    await promises.writeFile(join(gitDir, 'objects', 'pack', 'pack-1.idx'), '');
    expect((await promises.readdir(join(gitDir, 'objects', 'pack'))).sort()).toEqual([
      'behind-our-back.idx',
      'pack-1.idx',
    ]);
  });

  it('answers a loose object it has not seen as missing, and reads one written through it', async () => {
    const gitDir = mkdtempSync(join(tmpdir(), 'tidemark-gitfs-'));
    mkdirSync(join(gitDir, 'objects', 'ab'), { recursive: true });
    const { promises } = gitFolderFs(gitDir);
    const path = join(gitDir, 'objects', 'ab', oid.slice(2));
    await expect(promises.readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await promises.writeFile(path, 'object');
    expect((await promises.readFile(path)).toString()).toBe('object');
  });

  it('finds loose objects already in the folder when it is opened', async () => {
    const gitDir = mkdtempSync(join(tmpdir(), 'tidemark-gitfs-'));
    mkdirSync(join(gitDir, 'objects', 'ab'), { recursive: true });
    writeFileSync(join(gitDir, 'objects', 'ab', oid.slice(2)), 'earlier');
    const { promises } = gitFolderFs(gitDir);
    expect((await promises.readFile(join(gitDir, 'objects', 'ab', oid.slice(2)))).toString()).toBe('earlier');
  });
});
