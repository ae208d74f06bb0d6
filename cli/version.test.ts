import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const projectRoot = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));

describe('tidemark --version', () => {
  it("prints package.json's version, which a release tag and the default agent image carry", () => {
    const out = execFileSync(process.execPath, [join(projectRoot, 'cli/bin.js'), '--version'], { encoding: 'utf8' });
    expect(out.trim()).toBe(version);
  });
});
