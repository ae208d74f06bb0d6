import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import type { RenderChanges } from '../../core/hydrate/render-commit-message';
import { RenderConfigError, type RenderTarget } from '../../core/hydrate/render-targets';
import { loadRenderTargets } from '../../engine/hydrate/load-render-targets';
import { type LocalRender, renderLocally } from '../../engine/hydrate/render-locally';

const run = promisify(execFile);

/**
 * `tidemark render [DIR]`: render the dry sources of `.tidemark/render.yaml` as the hydrator does, including CDK8s apps
 * and commands, whose dependencies only exist where this runs (a laptop, CI). A folder of the dry branch is written in
 * place (commit it with the change); a rendered branch is written under `--out` to look at, since the hydrator (or CI
 * with its credentials) commits it. `--check` compares instead and exits 1 when the committed output is stale: the
 * working tree for a folder, the branch as the clone knows it (`origin/<branch>`, else `<branch>`) for a branch.
 * Exit codes (DESIGN.md): 0 ok/current, 1 stale, 2 error.
 */
export function register(program: Command): void {
  program
    .command('render')
    .description('render the dry sources of .tidemark/render.yaml (exit 0 ok/current, 1 stale with --check, 2 error)')
    .argument('[dir]', 'root of a checkout of the config repo', '.')
    .option('--check', 'compare with the committed output instead of writing; exit 1 when stale')
    .option('--target <name...>', 'only these targets')
    .option('--out <dir>', 'where targets of rendered branches are written (default: DIR/.tidemark/out)')
    .option('--output <format>', 'text or json', 'text')
    .action(async (dir: string, opts: { check?: boolean; target?: string[]; out?: string; output: string }) => {
      try {
        if (opts.output !== 'text' && opts.output !== 'json') {
          throw new Error(`--output: '${opts.output}' is not a format. Use 'text' or 'json'`);
        }
        const results = await renderCommand(resolve(dir), {
          check: opts.check === true,
          targets: opts.target,
          out: opts.out,
        });
        if (opts.output === 'json') console.log(JSON.stringify(results, null, 2));
        else for (const line of resultLines(results, opts.check === true)) console.log(line);
        process.exitCode = results.some((r) => r.kind === 'failed')
          ? 2
          : results.some((r) => r.kind === 'stale')
            ? 1
            : 0;
      } catch (error) {
        console.error(`tidemark render: ${(error as Error).message}`);
        process.exitCode = 2;
      }
    });
}

export async function renderCommand(
  root: string,
  options: { check: boolean; targets?: string[]; out?: string },
): Promise<LocalRender[]> {
  let targets = await loadRenderTargets(root);
  if (targets.length === 0)
    throw new RenderConfigError(
      '.tidemark/render.yaml',
      1,
      '(file)',
      `is not in ${root}. Run tidemark render at the root of the config repo`,
    );
  if (options.targets) {
    const unknown = options.targets.filter((name) => !targets.some((t) => t.name === name));
    if (unknown.length > 0)
      throw new Error(
        `--target: ${unknown.join(', ')} is not a target of .tidemark/render.yaml (it has ${targets.map((t) => t.name).join(', ')})`,
      );
    targets = targets.filter((t) => options.targets!.includes(t.name));
  }
  const out = resolve(options.out ?? join(root, '.tidemark/out'));
  const writeRoot = (t: RenderTarget) => (t.destination.branch ? join(out, t.destination.branch) : root);
  return renderLocally(root, targets, {
    check: options.check,
    writeRoot,
    committed: (t) =>
      t.destination.branch && options.check
        ? filesOfBranch(root, t.destination.branch, t.destination.path)
        : filesOnDisk(writeRoot(t), t.destination.path),
  });
}

/** The files under `folder` of a folder on disk, by path relative to `root`. */
async function filesOnDisk(root: string, folder: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const base = join(root, folder);
  let names: string[];
  try {
    names = await readdir(base, { recursive: true });
  } catch {
    return files;
  }
  for (const name of names.sort()) {
    const full = join(base, name);
    const text = await readFile(full, 'utf8').catch(() => undefined); // a folder
    if (text !== undefined) files.set(relative(root, full), text);
  }
  return files;
}

/** The files under `folder` of a branch as the clone in `root` knows it (after `git fetch`), by repo-relative path. */
async function filesOfBranch(root: string, branch: string, folder: string): Promise<Map<string, string>> {
  const ref = await firstRef(root, [`refs/remotes/origin/${branch}`, `refs/heads/${branch}`]);
  if (ref === undefined) return new Map(); // never rendered: everything is stale
  const scratch = await mkdtemp(join(tmpdir(), 'tidemark-render-check-'));
  try {
    const archive = join(scratch, 'branch.tar');
    await run('git', [
      '-C',
      root,
      'archive',
      '--format=tar',
      `--output=${archive}`,
      ref,
      ...(folder === '.' ? [] : [folder]),
    ]);
    await run('tar', ['-xf', archive, '-C', scratch]);
    await rm(archive);
    // Awaited here: the folder is removed in `finally`.
    return await filesOnDisk(scratch, folder);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function firstRef(root: string, refs: string[]): Promise<string | undefined> {
  for (const ref of refs) {
    const found = await run('git', ['-C', root, 'rev-parse', '--verify', '--quiet', ref]).then(
      () => true,
      () => false,
    );
    if (found) return ref;
  }
  return undefined;
}

function resultLines(results: readonly LocalRender[], check: boolean): string[] {
  const count = (c: RenderChanges) =>
    [
      c.added.length && `${c.added.length} added`,
      c.updated.length && `${c.updated.length} changed`,
      c.deleted.length && `${c.deleted.length} deleted`,
    ]
      .filter(Boolean)
      .join(', ');
  const files = (c: RenderChanges) => [
    ...c.added.map((f) => `  + ${f}`),
    ...c.updated.map((f) => `  ~ ${f}`),
    ...c.deleted.map((f) => `  - ${f}`),
  ];
  const linesOf = (r: LocalRender): string[] => {
    switch (r.kind) {
      case 'current':
        return [`${r.target} → ${r.destination}: current`];
      case 'stale':
        return [
          `${r.target} → ${r.destination}: STALE (${count(r.changes)}); run tidemark render and commit the result`,
          ...files(r.changes),
        ];
      case 'written':
        return [
          `${r.target} → ${r.destination}: wrote ${r.folder} (${count(r.changes)})`,
          ...(check ? [] : files(r.changes)),
        ];
      case 'failed':
        return [`${r.target} → ${r.destination}: FAILED ${r.message}`];
    }
  };
  return results.flatMap(linesOf);
}
