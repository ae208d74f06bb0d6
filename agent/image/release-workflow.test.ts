import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readImageContents } from './image-contents';

// The release workflow cannot run here (no GitHub, no Docker engine), so it is checked the way a maintainer would
// before tagging: actionlint, built from the Go module proxy (agent/image/tools), and what it must publish.
const projectRoot = join(import.meta.dirname, '../..');
const workflows = join(projectRoot, '.github/workflows');
const tools = execFileSync('bash', [join(import.meta.dirname, 'tools/build.sh')], { encoding: 'utf8' });
const actionlint = /^ACTIONLINT=(.*)$/m.exec(tools)![1]!;
/** `${{ inner }}`, a GitHub Actions expression, written so it is not mistaken for a template string. */
const expression = (inner: string) => ['$', '{{ ', inner, ' }}'].join('');
const lint = (...files: string[]) => spawnSync(actionlint, ['-no-color', ...files], { encoding: 'utf8' });

describe('.github/workflows', () => {
  it('passes actionlint', () => {
    const files = readdirSync(workflows).map((f) => join(workflows, f));
    expect(files.map((f) => f.slice(projectRoot.length + 1))).toContain('.github/workflows/release.yaml');
    const r = lint(...files);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('would fail actionlint with a mistake in it (the check can fail)', () => {
    const broken = join(mkdtempSync(join(tmpdir(), 'workflow-')), 'release.yaml');
    const text = readFileSync(join(workflows, 'release.yaml'), 'utf8');
    writeFileSync(
      broken,
      text.replace(expression('steps.build.outputs.digest'), expression('steps.biuld.outputs.digest')),
    );
    const r = lint(broken);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('biuld');
  });

  it('builds both architectures from agent/Dockerfile, pushes to both registries, and signs and attests what it pushed', () => {
    const release = parse(readFileSync(join(workflows, 'release.yaml'), 'utf8'));
    const steps = release.jobs.image.steps as { uses?: string; run?: string; with?: Record<string, unknown> }[];
    const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action'))!;
    expect(build.with).toMatchObject({
      file: 'agent/Dockerfile',
      platforms: 'linux/amd64,linux/arm64',
      push: true,
      sbom: true,
    });
    for (const repository of ['GHCR_REPOSITORY', 'ECR_PUBLIC_REPOSITORY']) {
      expect(build.with!.tags).toContain(`${expression(`env.${repository}`)}:${expression('env.VERSION')}`);
    }
    const contents = readImageContents();
    expect(contents.repository).toMatch(/^ghcr\.io\//);
    expect(contents.ecrPublicRepository).toMatch(/^public\.ecr\.aws\//);
    expect(steps.some((s) => s.run?.includes('cosign sign --yes "$repository@$DIGEST"'))).toBe(true);
    expect(steps.some((s) => s.run?.includes('cosign attest --yes --type spdxjson'))).toBe(true);
    expect(release.jobs.image.permissions['id-token']).toBe('write');
    expect(release.jobs.image.needs).toBe('test');
  });
});
