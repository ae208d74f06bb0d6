import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { configMapYaml, createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';
import { type RunningAgent, startAgent } from './run-agent';

// The agent counts what differs from Git between reconciles, on the real API server: `status.driftedObjects`, which
// `tidemark get` shows as DRIFT.

const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let agent: RunningAgent;
let ns: string;
const kubectl = (...args: string[]) => execFileSync('kubectl', ['-n', ns, ...args], { stdio: 'pipe' }).toString();

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('drift-count');
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: ns,
  });
});

afterAll(async () => {
  await agent?.stop();
  cluster.close();
});

describe('drift count', () => {
  it('counts objects changed by hand while self-heal is off, and forgets them once they match Git again', async () => {
    const repo = await createGitRepo('drift-count', {
      'apps/a.yaml': configMapYaml(ns, 'a', { mode: 'git' }),
      'apps/b.yaml': configMapYaml(ns, 'b', { mode: 'git' }),
    });
    await createSync(cluster, ns, 'observed', { url: repo.url, path: 'apps', selfHeal: false, interval: '10m' });
    expect((await readyAt(cluster, ns, 'observed', repo.head())).driftedObjects).toBe(0);
    kubectl('patch', 'configmap', 'a', '--type=merge', '-p', '{"data":{"mode":"hand"}}');
    kubectl('patch', 'configmap', 'b', '--type=merge', '-p', '{"data":{"mode":"hand"}}');
    await eventually(async () => (await syncStatus(cluster, ns, 'observed')).driftedObjects === 2, 30_000, 'DRIFT 2');
    expect(kubectl('get', 'configmap', 'a', '-o', 'jsonpath={.data.mode}')).toBe('hand'); // observed, not reverted
    const get = spawnSync(process.execPath, ['cli/bin.js', 'get', '-n', ns], { encoding: 'utf8' });
    expect(get.stdout.split('\n')[1]).toMatch(/\s2$/);
    kubectl('patch', 'configmap', 'b', '--type=merge', '-p', '{"data":{"mode":"git"}}');
    await eventually(async () => (await syncStatus(cluster, ns, 'observed')).driftedObjects === 1, 30_000, 'DRIFT 1');
  });

  it('stays at 0 while self-heal puts hand changes back', async () => {
    const repo = await createGitRepo('drift-heal', { 'apps/c.yaml': configMapYaml(ns, 'c', { mode: 'git' }) });
    await createSync(cluster, ns, 'healed', { url: repo.url, path: 'apps', interval: '10m' });
    await readyAt(cluster, ns, 'healed', repo.head());
    kubectl('patch', 'configmap', 'c', '--type=merge', '-p', '{"data":{"mode":"hand"}}');
    await eventually(async () => kubectl('get', 'configmap', 'c', '-o', 'jsonpath={.data.mode}') === 'git', 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await syncStatus(cluster, ns, 'healed')).driftedObjects).toBe(0);
  });
});
