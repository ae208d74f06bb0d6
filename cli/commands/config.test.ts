import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

/** Runs the real `tidemark` entry point, as a user would. */
function tidemark(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'cli', 'bin.js'), ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tidemark-config-')), 'tidemark.config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('tidemark config validate', () => {
  it('accepts the annotated example at the project root, with exit 0', () => {
    const r = tidemark('config', 'validate');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tidemark.config.yaml: valid');
    expect(r.stdout).toContain('clusters in us-east-1: dev (acme-dev, clusters/dev), prod (acme-prod, clusters/prod)');
  });

  it('exits 2 naming the key and the fix when a value is wrong', () => {
    const example = readFileSync(join(root, 'tidemark.config.yaml'), 'utf8');
    const file = configFile(example.replace('region: us-east-1', 'region: eu-west'));
    const r = tidemark('config', 'validate', file);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `${file}: clusters[0].region: 'eu-west' is not an AWS region. Use a region code such as 'eu-west-1'`,
    );
  });

  it('exits 2 on YAML that does not parse', () => {
    const r = tidemark('config', 'validate', configFile('clusters: [\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not valid YAML .*Fix the YAML syntax/);
  });

  it('exits 2 when the file is missing, and answers in JSON when asked', () => {
    const r = tidemark('config', 'validate', '/nonexistent/tidemark.config.yaml', '--output', 'json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      valid: false,
      key: '/nonexistent/tidemark.config.yaml',
      message: '/nonexistent/tidemark.config.yaml: cannot be read (ENOENT). Pass the path of tidemark.config.yaml',
    });
  });

  it('has --help', () => {
    const r = tidemark('config', 'validate', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: tidemark config validate [options] [file]');
  });
});
