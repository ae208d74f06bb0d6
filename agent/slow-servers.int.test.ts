import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { configMapYaml, createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';
import { type RunningAgent, startAgent } from './run-agent';

// A tarpit: a TCP server that accepts every connection and never sends a byte, the worst a config repo's server (or a
// remote kustomize resource) can do. Beside it, Syncs of the real local git server must keep reconciling on time.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let tarpit: Server;
const held = new Set<Socket>();
let tarpitUrl: string;
let agent: RunningAgent | undefined;
let ns: string;

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('tarpit');
  tarpit = createServer((socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // reads (and drops) the request, so a client that goes away is seen closing
  });
  await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', resolve));
  tarpitUrl = `http://127.0.0.1:${(tarpit.address() as { port: number }).port}`;
});

afterAll(async () => {
  await agent?.stop();
  for (const socket of held) socket.destroy();
  tarpit?.close();
  cluster.close();
});

/** Reconciles of a Sync that applied its revision, from the agent's /metrics. */
async function appliedCount(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${agent?.port}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`tidemark_reconcile_duration_seconds_count{sync="${ns}.${name}",outcome="applied"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('a git server that accepts connections and never answers', () => {
  it('holds no other Sync back: they keep reconciling at their interval; the tarpit Syncs fail on their deadline; stop() is prompt', async () => {
    agent = await startAgent({
      kubeconfig: process.env.KUBECONFIG,
      cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
      port: 0,
      watchNamespace: ns,
    });
    // Three tarpit Syncs, more than the agent's two apply slots. Two fail after spec.timeout; one has an hour, so only
    // git's low-speed limit (30 s) or stop() ends its fetch.
    await createSync(cluster, ns, 'tarpit-a', { url: `${tarpitUrl}/a.git`, interval: '10s', timeout: '5s' });
    await createSync(cluster, ns, 'tarpit-b', { url: `${tarpitUrl}/b.git`, interval: '10s', timeout: '5s' });
    await createSync(cluster, ns, 'tarpit-c', { url: `${tarpitUrl}/c.git`, interval: '10s', timeout: '1h' });
    await eventually(async () => held.size >= 3, 20_000, 'three fetches held by the tarpit');

    const good = ['good-1', 'good-2', 'good-3'];
    const repos = [];
    for (const name of good) {
      const repo = await createGitRepo(`tarpit-${name}`, { 'apps/cm.yaml': configMapYaml(ns, name, { v: '1' }) });
      await createSync(cluster, ns, name, { url: repo.url, path: 'apps', interval: '10s' });
      await readyAt(cluster, ns, name, repo.head(), 30_000);
      repos.push(repo);
    }
    const before = await Promise.all(good.map(appliedCount));
    const windowMs = 35_000;
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const during = (await Promise.all(good.map(appliedCount))).map((n, i) => n - (before[i] ?? 0));
    console.log(
      `tarpit: ${held.size} connections held; reconciles completed by ${good.length} other Syncs (interval 10s) in ${windowMs / 1000} s: ${during.join(', ')} (total ${during.reduce((a, b) => a + b, 0)})`,
    );
    // A push (what the sync-queue listener asks for) is applied at once too.
    const pushed = repos[0]?.commit({ 'apps/cm.yaml': configMapYaml(ns, 'good-1', { v: '2' }) });
    const asked = Date.now();
    const outcomes = await agent.controller.reconcileNow({ url: repos[0]?.url ?? '', branch: 'main' });
    expect(outcomes.map((o) => [o.kind, o.revision])).toEqual([['applied', pushed]]);
    expect(Date.now() - asked).toBeLessThan(10_000);

    // At a 10 s interval, 35 s hold three reconciles each; one may be late under a loaded machine's noise.
    for (const n of during) expect(n).toBeGreaterThanOrEqual(2);
    expect(during.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(8);

    const failed = await syncStatus(cluster, ns, 'tarpit-a');
    const ready = failed.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'FetchFailed' });
    expect(ready?.message).toContain('spec.timeout (5 s) passed');

    // The hour-long one is still hanging on the tarpit; stopping kills its git instead of waiting for it.
    await eventually(async () => held.size >= 1, 15_000, 'a fetch held by the tarpit');
    const stopping = Date.now();
    await agent.stop();
    agent = undefined;
    expect(Date.now() - stopping).toBeLessThan(5000);
    await eventually(async () => held.size === 0, 5000, 'git killed, its connections closed');
  });
});
