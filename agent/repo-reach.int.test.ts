import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { configMapYaml, createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo, type TestGitRepo } from '../test/support/git-repo';
import { type RunningAgent, startAgent } from './run-agent';

// What a config repo can make the agent read: nothing outside its checkout (symbolic links, kustomize paths), and
// no URL unless the Sync opts in. The agent, the API server and the git server are real; the "outside" is a folder
// of this machine's disk holding a manifest (in a pod: another Sync's private checkout).
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let agent: RunningAgent;
let ns: string;
let outside: string;
let server: Server;
let remoteUrl: string;
let remoteRequests = 0;

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('reach');
  outside = mkdtempSync(join(tmpdir(), 'outside-checkout-'));
  writeFileSync(join(outside, 'stolen.yaml'), configMapYaml(ns, 'stolen', { from: 'outside the checkout' }));
  server = createServer((_req, res) => {
    remoteRequests++;
    res.end(configMapYaml(ns, 'fetched', { from: 'a URL' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  remoteUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/cm.yaml`;
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: ns,
  });
});

afterAll(async () => {
  await agent?.stop();
  server?.close();
  rmSync(outside, { recursive: true, force: true });
  cluster.close();
});

/** Commits symbolic links (path → target) beside `files`, as `git add` of a real link stores it (mode 120000). */
function commitLinks(repo: TestGitRepo, links: Record<string, string>, files: Record<string, string> = {}): string {
  const work = mkdtempSync(join(tmpdir(), 'reach-links-'));
  try {
    repo.git(work, 'clone', '--quiet', repo.url, '.');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    for (const [path, target] of Object.entries(links)) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      symlinkSync(target, join(work, path));
    }
    repo.git(work, 'add', '-A');
    repo.git(work, 'commit', '--quiet', '-m', 'links');
    repo.git(work, 'push', '--quiet', 'origin', 'HEAD:main');
    return repo.git(work, 'rev-parse', 'HEAD');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function renderFailure(name: string): Promise<string> {
  const status = await eventually(async () => {
    const s = await syncStatus(cluster, ns, name);
    return s.conditions?.find((c) => c.type === 'Ready' && c.reason === 'RenderFailed') ? s : undefined;
  }, 30_000);
  return status.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
}

const stolen = () => cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'stolen' });

describe('what a config repo can make the agent read', () => {
  it('refuses a Sync path that is a symbolic link to a folder outside the checkout', async () => {
    const repo = await createGitRepo('reach-path', { 'README.md': 'x' });
    commitLinks(repo, { 'clusters/dev': outside });
    await createSync(cluster, ns, 'link-path', { url: repo.url, path: 'clusters/dev' });
    expect(await renderFailure('link-path')).toContain(
      'clusters/dev: leads outside the repository through a symbolic link',
    );
    expect(await stolen()).toBeUndefined();
  });

  it('refuses a symbolic link inside the folder that leads out of the checkout', async () => {
    const repo = await createGitRepo('reach-inner', { 'apps/a.yaml': configMapYaml(ns, 'inner-a', { k: 'v' }) });
    commitLinks(repo, { 'apps/escape': outside });
    await createSync(cluster, ns, 'link-inner', { url: repo.url, path: 'apps' });
    expect(await renderFailure('link-inner')).toContain(
      'apps/escape: is a symbolic link to a path outside the repository',
    );
    expect(await stolen()).toBeUndefined();
  });

  it('refuses a kustomization whose resources leave the checkout, and follows a link that stays inside', async () => {
    const repo = await createGitRepo('reach-kustomize', {
      'base/cm.yaml': configMapYaml(ns, 'base-cm', { k: 'v' }),
      'overlay/kustomization.yaml': stringify({ resources: ['../shared', `../../../../../../../..${outside}`] }),
    });
    commitLinks(repo, { shared: 'base' });
    await createSync(cluster, ns, 'kustomize-out', { url: repo.url, path: 'overlay' });
    expect(await renderFailure('kustomize-out')).toMatch(
      /overlay\/kustomization.yaml: names '.*', which is outside the repository/,
    );
    expect(await stolen()).toBeUndefined();
  });

  it('refuses remote kustomize resources unless the Sync sets spec.remoteResources', async () => {
    const repo = await createGitRepo('reach-remote', {
      'apps/kustomization.yaml': stringify({ resources: [remoteUrl] }),
    });
    await createSync(cluster, ns, 'remote', { url: repo.url, path: 'apps' });
    expect(await renderFailure('remote')).toContain(
      `names the remote resource '${remoteUrl}', which this Sync may not fetch`,
    );
    expect(remoteRequests).toBe(0);

    await createSync(cluster, ns, 'remote', { url: repo.url, path: 'apps', remoteResources: true });
    await readyAt(cluster, ns, 'remote', repo.head());
    expect(remoteRequests).toBeGreaterThan(0);
    expect(await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'fetched' })).toBeDefined();
  });
});
