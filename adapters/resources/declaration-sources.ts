import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DeclarationFile } from '../../core/resources/parse-declarations';
import type { DeclarationSource } from '../../engine/resources/run-folder';
import type { ConfigRepo } from '../config-repo/config-repo';

/**
 * What a folder may hold before it is refused rather than read: a config repo is text written by people, and a
 * commit that adds a 500 MB file or 100,000 files to a DNS folder is an accident or an attack, never a zone.
 */
const limits = { files: 10_000, bytesPerFile: 1024 * 1024 };

const isYaml = (path: string) => /\.ya?ml$/i.test(path);

/**
 * A folder of the config repo at its branch head, through the config-repo adapter (a git server through a mirror, or
 * GitHub's API): one read per run gives the files and the commit they are from.
 */
export function configRepoDeclarationSource(repo: ConfigRepo): DeclarationSource {
  return {
    async read(path) {
      const read = await repo.read([path]);
      if (!read) {
        throw new Error(
          `branch ${repo.defaultBranch} does not exist in ${repo.url}. Fix configRepo.branch in tidemark.config.yaml`,
        );
      }
      const files = [...read.files].filter(([p]) => isYaml(p)).map(([p, text]) => ({ path: p, text }));
      return { revision: read.head, files: checked(files, path) };
    },
  };
}

/**
 * A folder on disk (`tidemark reconcile-resources DIR`): its YAML files, named relative to the working directory as
 * the user typed them. A symlink that leads out of the folder is refused, as the renderer refuses one.
 */
export async function readDeclarationFolder(dir: string): Promise<DeclarationFile[]> {
  const root = await realpath(dir);
  const out: DeclarationFile[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(at, entry.name);
      const real = await realpath(full);
      if (real !== root && !real.startsWith(`${root}${sep}`)) {
        throw new Error(`${full} is a symlink out of ${dir}. Declarations must be files inside the folder`);
      }
      if ((await stat(real)).isDirectory()) await walk(full);
      else if (isYaml(entry.name)) {
        if (out.length >= limits.files) throw tooMany(dir);
        const size = (await stat(real)).size;
        if (size > limits.bytesPerFile) throw tooBig(full, size);
        out.push({ path: relative(process.cwd(), full) || full, text: await readFile(real, 'utf8') });
      }
    }
  };
  await walk(dir);
  return out;
}

function checked(files: DeclarationFile[], folder: string): DeclarationFile[] {
  if (files.length > limits.files) throw tooMany(folder);
  for (const file of files) {
    const size = Buffer.byteLength(file.text);
    if (size > limits.bytesPerFile) throw tooBig(file.path, size);
  }
  return files;
}

function tooMany(folder: string): Error {
  return new Error(`${folder} holds more than ${limits.files} YAML files. Split it into several folders`);
}

function tooBig(path: string, size: number): Error {
  return new Error(`${path} has ${size} bytes, more than the ${limits.bytesPerFile} a declaration file may have`);
}
