import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localEnv } from '../../test/support/local-env';

// Every Go-built binary reports its release, as the projects' own release builds stamp it: clients and tools that
// check a version (kubectl, Helm's capabilities, client-go discovery) then work against the local environment.
const projectRoot = join(import.meta.dirname, '../..');
const built = (script: string) => execFileSync('bash', [join(projectRoot, script)], { encoding: 'utf8' }).trim();
const k8sBin = built('local/k8s/build.sh');
const run = (binary: string, ...args: string[]) => execFileSync(binary, args, { encoding: 'utf8' });

describe('version stamps', () => {
  it('kubectl version succeeds against the local API server, which reports v1.34.4', () => {
    const out = JSON.parse(run('kubectl', 'version', '-o', 'json', '--kubeconfig', localEnv().kube.kubeconfigPath));
    expect(out.serverVersion).toMatchObject({ gitVersion: 'v1.34.4', major: '1', minor: '34', gitTreeState: 'clean' });
    expect(out.serverVersion.buildDate).toMatch(/^2026-\d\d-\d\dT/);
  });

  it('the controller manager and the scheduler say which Kubernetes they are', () => {
    expect(run(join(k8sBin, 'kube-controller-manager'), '--version').trim()).toBe('Kubernetes v1.34.4');
    expect(run(join(k8sBin, 'kube-scheduler'), '--version').trim()).toBe('Kubernetes v1.34.4');
  });

  it('etcd names its release and the tag it was built from', () => {
    const out = run(join(k8sBin, 'etcd'), '--version');
    expect(out).toContain('etcd Version: 3.6.6');
    expect(out).toContain('Git SHA: v3.6.6');
  });

  it('kustomize names its release and build date instead of "unknown"', () => {
    const host = built('infra/layers/kustomize/build.sh').split('\n').at(-1)!;
    expect(run(host, 'version').trim()).toBe('v5.7.1');
    expect(run(host, 'version', '--output', 'json')).toMatch(/"buildDate": ?"20\d\d-\d\d-\d\dT/);
  });
});
