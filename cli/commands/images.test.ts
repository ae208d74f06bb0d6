import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the real `tidemark` binary on a copy of the example config repo.
const bin = new URL('../bin.js', import.meta.url).pathname;
const example = new URL('../../examples/config-repo', import.meta.url).pathname;
const WEB = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
const DEV = 'clusters/dev/web/deployment.yaml';
const PROD = 'clusters/prod/kustomization.yaml';

function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-images-cli-'));
  cpSync(example, dir, { recursive: true });
  return dir;
}

function tidemark(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The files of `dir` that differ from the example, by `diff -rq`. */
function changedFiles(dir: string): string[] {
  const out = spawnSync('diff', ['-rq', example, dir], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^Files .* and (.*) differ$/, '$1').slice(dir.length + 1));
}

describe('tidemark images update', () => {
  it('applies the policies to the files on disk and reports the changes as JSON', () => {
    const dir = checkout();
    const r = tidemark('images', 'update', dir, '--image', WEB, '--tag', '1.0.1', '--output', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      changes: [
        { file: DEV, line: 21, from: `${WEB}:1.0.0`, to: `${WEB}:1.0.1`, policy: 'web' },
        { file: PROD, line: 18, from: '1.0.0', to: '1.0.1', policy: 'web-prod' },
      ],
      skipped: [],
    });
    expect(changedFiles(dir).sort()).toEqual([DEV, PROD]);
    expect(readFileSync(join(dir, DEV), 'utf8')).toBe(
      readFileSync(join(example, DEV), 'utf8').replace('web:1.0.0', 'web:1.0.1'),
    );
  });

  it('writes nothing with --dry-run, and says why a policy is skipped', () => {
    const dir = checkout();
    const r = tidemark('images', 'update', dir, '--image', WEB, '--tag', '1.1.0', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${DEV}:21 ${WEB}:1.0.0 → ${WEB}:1.1.0 (web)\nskipped web-prod: tag 1.1.0 is outside the range '~1.0.0'\n(dry run: nothing written)\n`,
    );
    expect(changedFiles(dir)).toEqual([]);
  });

  it('exits 2 with the file, line and key of an invalid policy file', () => {
    const dir = checkout();
    const r = tidemark('images', 'update', join(dir, 'clusters'), '--image', WEB, '--tag', '1.0.1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.tidemark\/images\.yaml does not exist/);
    const bad = tidemark('images', 'update', dir, '--image', `${WEB}:1.0.1`, '--tag', '1.0.1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--image .* is not an image repository/);
    const policies = join(dir, '.tidemark/images.yaml');
    writeFileSync(policies, readFileSync(policies, 'utf8').replace('">=1.0.0 <2.0.0"', '"soon"'));
    const invalid = tidemark('images', 'update', dir, '--image', WEB, '--tag', '1.0.1');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(
      "tidemark: .tidemark/images.yaml:7: policies[0].strategy.semver: is not a semver range. Use a range such as '>=1.0.0 <2.0.0' or '~1.0.0'\n",
    );
    expect(changedFiles(dir)).toEqual(['.tidemark/images.yaml']);
  });

  it('skips symbolic links and files that are not UTF-8 with a note, and changes the rest', () => {
    const dir = checkout();
    symlinkSync('deployment.yaml', join(dir, 'clusters/dev/web/link.yaml'));
    symlinkSync('gone.yaml', join(dir, 'clusters/dev/web/dangling.yaml'));
    // Latin-1 "é" in a comment: read as UTF-8 it would be written back as U+FFFD.
    const latin1 = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(`\nimage: ${WEB}:1.0.0\n`)]);
    writeFileSync(join(dir, 'clusters/dev/latin1.yaml'), latin1);
    const r = tidemark('images', 'update', dir, '--image', WEB, '--tag', '1.0.1', '--output', 'json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.changes.map((c: { file: string }) => c.file)).toEqual([DEV, PROD]);
    expect(out.unread).toEqual([
      { file: 'clusters/dev/latin1.yaml', reason: 'is not UTF-8 text, so it could not be written back byte for byte' },
      { file: 'clusters/dev/web/dangling.yaml', reason: expect.stringMatching(/^is a symbolic link/) },
      { file: 'clusters/dev/web/link.yaml', reason: expect.stringMatching(/^is a symbolic link/) },
    ]);
    expect(readFileSync(join(dir, 'clusters/dev/latin1.yaml'))).toEqual(latin1);
  });
});
