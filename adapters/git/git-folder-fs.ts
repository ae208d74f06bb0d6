import fs from 'node:fs';
import { join, sep } from 'node:path';

type Promises = typeof fs.promises;

/**
 * `node:fs` for isomorphic-git on one git folder, remembering the two listings it asks for on every object read.
 *
 * isomorphic-git looks for each object first as a loose file (an `open` that usually fails: objects arrive packed)
 * and then lists `objects/pack` again, so walking the trees of a 2,000-folder repository costs thousands of failed
 * opens and listings: most of a push, which walks the trees twice to work out what the server lacks. Here the loose
 * objects and the packs are listed once, and every write through this object keeps the lists true. Nothing else may
 * write to the folder meanwhile, which the mirror already requires (one process, one transport per cache folder).
 */
export function gitFolderFs(gitDir: string): { promises: Promises } {
  const objectsDir = join(gitDir, 'objects');
  const packDir = join(objectsDir, 'pack');
  const looseObject = /^[0-9a-f]{2}[/\\][0-9a-f]{38}([0-9a-f]{24})?$/;
  let packs: Promise<string[]> | undefined;
  let loose: Promise<Set<string>> | undefined;

  const listLoose = async (): Promise<Set<string>> => {
    const found = new Set<string>();
    const folders = await fs.promises.readdir(objectsDir).catch(() => [] as string[]);
    for (const folder of folders.filter((f) => /^[0-9a-f]{2}$/.test(f))) {
      for (const file of await fs.promises.readdir(join(objectsDir, folder)).catch(() => [] as string[])) {
        found.add(join(objectsDir, folder, file));
      }
    }
    return found;
  };
  const objectPath = (path: unknown) =>
    typeof path === 'string' && path.startsWith(objectsDir + sep) && looseObject.test(path.slice(objectsDir.length + 1))
      ? path
      : undefined;
  // Any change under objects/ that is not a plain write of a loose object: list again on the next read.
  const forget = (path: unknown) => {
    if (typeof path === 'string' && path.startsWith(objectsDir)) {
      packs = undefined;
      loose = undefined;
    }
  };
  // The same error a failed open gives, made once: isomorphic-git only checks that the read failed.
  const missing = Object.assign(new Error('ENOENT: no such loose object'), { code: 'ENOENT' });

  const promises: Promises = {
    ...fs.promises,
    readdir: ((path: fs.PathLike, options?: unknown) => {
      if (path !== packDir || options !== undefined) return fs.promises.readdir(path, options as undefined);
      packs ??= fs.promises.readdir(packDir).catch((e: unknown) => {
        packs = undefined;
        throw e;
      });
      return packs.then((list) => [...list]);
    }) as Promises['readdir'],
    readFile: (async (path: fs.PathLike | fs.promises.FileHandle, options?: unknown) => {
      const object = objectPath(path);
      if (object) {
        loose ??= listLoose();
        if (!(await loose).has(object)) throw missing;
      }
      return fs.promises.readFile(path, options as undefined);
    }) as Promises['readFile'],
    writeFile: (async (path: fs.PathLike | fs.promises.FileHandle, data: never, options?: unknown) => {
      await fs.promises.writeFile(path, data, options as undefined);
      const object = objectPath(path);
      if (object && loose) (await loose).add(object);
      else forget(path);
    }) as Promises['writeFile'],
    rename: (async (from: fs.PathLike, to: fs.PathLike) => {
      await fs.promises.rename(from, to);
      forget(from);
      forget(to);
    }) as Promises['rename'],
    unlink: (async (path: fs.PathLike) => {
      await fs.promises.unlink(path);
      forget(path);
    }) as Promises['unlink'],
    rm: (async (path: fs.PathLike, options?: fs.RmOptions) => {
      await fs.promises.rm(path, options);
      forget(path);
    }) as Promises['rm'],
  };
  return { promises };
}
