import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configMapYaml } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';

// `tidemark apply DIR` as a user runs it (the real CLI process) against the real API server: its output and exit codes
// are a contract (DESIGN.md, the CLI table).
const cli = join(import.meta.dirname, '../cli/bin.js');

function tidemark(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: process.env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-apply-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('tidemark apply DIR', () => {
  it('prints what it created, then unchanged, prunes with --prune, and changes nothing with --dry-run', async () => {
    const ns = await uniqueNamespace('cli-apply');
    const args = ['--name', 'cli', '-n', ns];
    const both = folder({ 'a.yaml': configMapYaml(ns, 'a', { k: '1' }), 'b.yaml': configMapYaml(ns, 'b', { k: '1' }) });

    const created = tidemark('apply', both, ...args, '--output', 'json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      outcome: 'applied',
      changes: [
        { subject: `ConfigMap/${ns}/a`, action: 'created' },
        { subject: `ConfigMap/${ns}/b`, action: 'created' },
      ],
    });

    const again = tidemark('apply', both, ...args);
    expect(again).toMatchObject({ code: 0, stdout: '2 unchanged\nhealth: 2 current, 0 in progress, 0 failed\n' });

    const onlyA = folder({ 'a.yaml': configMapYaml(ns, 'a', { k: '2' }) });
    const dryRun = tidemark('apply', onlyA, ...args, '--prune', '--max-prune-percent', '50', '--dry-run');
    expect(dryRun).toMatchObject({
      code: 0,
      stdout: `ConfigMap/${ns}/a configured\nConfigMap/${ns}/b deleted\n0 unchanged\n`,
    });
    expect(tidemark('apply', both, ...args).stdout).toBe('2 unchanged\nhealth: 2 current, 0 in progress, 0 failed\n');

    const pruned = tidemark('apply', onlyA, ...args, '--prune', '--max-prune-percent', '50');
    expect(pruned).toMatchObject({ code: 0, stdout: expect.stringContaining(`ConfigMap/${ns}/b deleted`) });
  });

  it('exits 1 and names the file and document of a broken manifest', async () => {
    const ns = await uniqueNamespace('cli-broken');
    const broken = folder({ 'x.yaml': 'apiVersion: v1\nkind: ConfigMap\n' });
    const result = tidemark('apply', broken, '--name', 'cli', '-n', ns);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('tidemark: RenderFailed: x.yaml (document 0): ConfigMap has no metadata.name');
  });
});
