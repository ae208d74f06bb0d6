import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamespace } from '../../test/support/cluster';

// `tidemark diff` as scripts and CI run it: the real CLI process against the real local API server.

const kubectl = (...args: string[]) => execFileSync('kubectl', args, { stdio: 'pipe' }).toString();

function tidemark(args: string[], env: Record<string, string> = {}) {
  const cache = mkdtempSync(join(tmpdir(), 'tidemark-cli-cache-'));
  const r = spawnSync(process.execPath, ['cli/bin.js', ...args], {
    env: { ...process.env, XDG_CACHE_HOME: cache, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tidemark diff DIR', () => {
  let ns: string;
  let dir: string;

  beforeAll(async () => {
    ns = await uniqueNamespace('cli-diff');
    dir = mkdtempSync(join(tmpdir(), 'tidemark-cli-diff-'));
    writeFileSync(
      join(dir, 'settings.yaml'),
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: ${ns} }\ndata: { MODE: safe }\n`,
    );
    expect(tidemark(['apply', dir, '--name', 'cli', '-n', ns]).code).toBe(0);
  });
  const clusterBindings: string[] = [];
  afterAll(() => {
    kubectl('delete', 'namespace', '--wait=false', ns);
    if (clusterBindings.length > 0) kubectl('delete', 'clusterrolebinding', ...clusterBindings);
  });

  it('exits 0 and says so when the cluster matches the folder', () => {
    const r = tidemark(['diff', dir, '--name', 'cli', '-n', ns]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('In sync: 1 objects compared');
  });

  it('exits 1 with a per-object diff naming the field and who changed it, and JSON that is the DriftReport', () => {
    kubectl('-n', ns, 'patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"MODE":"yolo"}}');
    const text = tidemark(['diff', dir, '--name', 'cli', '-n', ns]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      new RegExp(
        `^ConfigMap/${ns}/settings differs from Git in 1 field\\n  data\\.MODE safe → yolo by kubectl-patch at \\d\\d:\\d\\d UTC\\n$`,
      ),
    );
    const json = tidemark(['diff', dir, '--name', 'cli', '-n', ns, '--output', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      cluster: 'cli',
      objectsScanned: 1,
      findings: [{ kind: 'modified', fields: [{ pointer: '/data/MODE', desired: 'safe', live: 'yolo' }] }],
    });
  });

  it('exits 2 on an error, with a message', () => {
    const r = tidemark(['diff', join(dir, 'no-such-folder'), '--name', 'cli', '-n', ns]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tidemark diff: /);
    expect(tidemark(['diff', dir, '--output', 'yaml']).code).toBe(2);
  });

  it('fails with the fix when its identity may read but not dry-run (the EKS view policy alone)', () => {
    // A changed object, so the scan needs the oracle (objects proven unchanged from managedFields need no dry-run).
    kubectl('-n', ns, 'patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"MODE":"viewer-test"}}');
    kubectl('-n', ns, 'create', 'serviceaccount', 'viewer');
    // Cluster-wide, as an EKS access entry with AmazonEKSViewPolicy: the scan LISTs each kind in all namespaces.
    kubectl('create', 'clusterrolebinding', `${ns}-viewer`, '--clusterrole=view', `--serviceaccount=${ns}:viewer`);
    clusterBindings.push(`${ns}-viewer`);
    const token = kubectl('-n', ns, 'create', 'token', 'viewer').trim();
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'tidemark-viewer-')), 'config');
    const admin = readFileSync(process.env.KUBECONFIG ?? '', 'utf8');
    writeFileSync(kubeconfig, admin);
    execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'config', 'set-credentials', 'viewer', `--token=${token}`]);
    execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'config', 'set-context', '--current', '--user=viewer']);
    const r = tidemark(['diff', dir, '--name', 'cli', '-n', ns, '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`may not dry-run apply ConfigMap/${ns}/settings`);
    expect(r.stderr).toContain("Grant the scanner's identity 'patch' on ConfigMap objects");
  });

  it('documents itself', () => {
    const r = tidemark(['diff', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('(exit 0 in sync, 1 drift, 2 error)');
  });
});
