import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusPath } from '../../test/support/corpus';

const bin = new URL('../bin.js', import.meta.url).pathname;

function tidemark(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A clone of a config repo (plain local git, as in CI) holding Flux's example app overlays from the corpus. */
function configRepo(renderYaml: string): { dir: string; git: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-render-cli-'));
  cpSync(corpusPath('flux2-kustomize-helm-example', 'apps'), join(dir, 'apps'), { recursive: true });
  mkdirSync(join(dir, '.tidemark'));
  writeFileSync(join(dir, '.tidemark/render.yaml'), renderYaml);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Dev', '-c', 'user.email=dev@localhost', ...args], {
      cwd: dir,
      encoding: 'utf8',
    });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'dry sources');
  return { dir, git };
}

const folderTarget =
  'targets:\n  - name: staging\n    source: { kustomize: apps/staging }\n    destination: { path: rendered/staging }\n';

describe('tidemark render', () => {
  it('writes a folder target in place, and --check passes once it is committed', () => {
    const { dir, git } = configRepo(folderTarget);
    expect(tidemark('render', dir, '--check').status).toBe(1);
    const written = tidemark('render', dir);
    expect(written.status).toBe(0);
    expect(written.stdout).toContain('staging → rendered/staging: wrote');
    expect(readFileSync(join(dir, 'rendered/staging/podinfo/HelmRelease-podinfo.yaml'), 'utf8')).toContain(
      'podinfo.staging',
    );
    git('add', '-A');
    git('commit', '--quiet', '-m', 'render');
    const check = tidemark('render', dir, '--check');
    expect(check.stdout).toBe('staging → rendered/staging: current\n');
    expect(check.status).toBe(0);
  });

  it('--check exits 1 and names the files when the committed output is stale, and render deletes what is no longer rendered', () => {
    const { dir, git } = configRepo(folderTarget);
    tidemark('render', dir);
    writeFileSync(join(dir, 'rendered/staging/podinfo/Old-thing.yaml'), 'kind: Old\n');
    git('add', '-A');
    git('commit', '--quiet', '-m', 'render, plus a leftover');
    const values = readFileSync(join(dir, 'apps/staging/podinfo-values.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'apps/staging/podinfo-values.yaml'),
      values.replace('podinfo.staging', 'podinfo.example.com'),
    );
    const check = tidemark('render', dir, '--check');
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(
      'staging → rendered/staging: STALE (1 changed, 1 deleted); run tidemark render and commit the result',
    );
    expect(check.stdout).toContain('  ~ podinfo/HelmRelease-podinfo.yaml\n  - podinfo/Old-thing.yaml');
    expect(tidemark('render', dir).status).toBe(0);
    expect(existsSync(join(dir, 'rendered/staging/podinfo/Old-thing.yaml'))).toBe(false);
    expect(tidemark('render', dir, '--check').status).toBe(0);
  });

  it('checks a rendered branch as the clone knows it', () => {
    const { dir, git } = configRepo(
      'targets:\n  - name: prod\n    source: { kustomize: apps/production }\n    destination: { branch: rendered/production }\n',
    );
    expect(tidemark('render', dir, '--check').stdout).toContain('prod → rendered/production:.: STALE (3 added)');
    // What the hydrator would have committed: the render on a branch of its own.
    expect(tidemark('render', dir, '--out', join(dir, '..', 'out-of-tree')).status).toBe(0);
    git('checkout', '--quiet', '--orphan', 'rendered/production');
    git('rm', '-r', '--quiet', '--cached', '.');
    git('clean', '-fdq');
    cpSync(join(dir, '..', 'out-of-tree', 'rendered/production'), dir, { recursive: true });
    git('add', '-A');
    git('commit', '--quiet', '-m', 'rendered');
    git('checkout', '--quiet', 'main');
    expect(tidemark('render', dir, '--check').stdout).toBe('prod → rendered/production:.: current\n');
  });

  it('exits 2 with the file, line and key of a broken render.yaml, and 2 when a target fails to render', () => {
    const { dir } = configRepo(
      'targets:\n  - name: staging\n    source: { kustomize: apps/staging }\n    destination: { branch: "bad branch" }\n',
    );
    const broken = tidemark('render', dir, '--check');
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(
      /^tidemark render: \.tidemark\/render\.yaml:4: targets\[0\]\.destination\.branch: is not a branch name/,
    );
    writeFileSync(join(dir, '.tidemark/render.yaml'), folderTarget);
    writeFileSync(join(dir, 'apps/staging/kustomization.yaml'), 'resources: [missing.yaml]\n');
    const failed = tidemark('render', dir);
    expect(failed.status).toBe(2);
    expect(failed.stdout).toMatch(/^staging → rendered\/staging: FAILED apps\/staging\/kustomization\.yaml: /);
  });
});
