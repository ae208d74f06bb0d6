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

// The render's servers as tarpits (a TCP server that accepts every connection and never sends a byte): a Helm chart
// repository and a remote kustomize resource that a Sync opted in to. The git server answers; what it names does not.
// Each Sync fails on its own spec.timeout, saying so, while a Sync beside them keeps reconciling.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let tarpit: Server;
const held = new Set<Socket>();
let tarpitHost: string;
let agent: RunningAgent | undefined;
let ns: string;

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('slow-render');
  tarpit = createServer((socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', resolve));
  tarpitHost = `127.0.0.1:${(tarpit.address() as { port: number }).port}`;
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: ns,
  });
});

afterAll(async () => {
  await agent?.stop();
  for (const socket of held) socket.destroy();
  tarpit?.close();
  cluster.close();
});

/** The Ready condition once it is False and says the deadline passed. */
const timedOut = (name: string) =>
  eventually(
    async () => {
      const ready = (await syncStatus(cluster, ns, name)).conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && ready.message?.includes('spec.timeout (5 s) passed') ? ready : undefined;
    },
    45_000,
    `${name}: Ready False on its deadline`,
  );

describe('render servers that accept connections and never answer', () => {
  it('fail the Sync whose chart repository or remote resource it is on its spec.timeout, and hold back no other Sync', async () => {
    const repo = await createGitRepo('slow-render', {
      'remote/kustomization.yaml': `resources:\n  - http://${tarpitHost}/deploy.yaml\n`,
      'good/cm.yaml': configMapYaml(ns, 'good', { v: '1' }),
    });
    const started = Date.now();
    await createSync(cluster, ns, 'chart', {
      url: repo.url,
      interval: '10m',
      timeout: '5s',
      helm: { chart: { repository: `http://${tarpitHost}/charts`, name: 'podinfo', version: '6.5.0' } },
    });
    await createSync(cluster, ns, 'remote', {
      url: repo.url,
      path: 'remote',
      interval: '10m',
      timeout: '5s',
      remoteResources: true,
    });
    await eventually(async () => held.size >= 2, 20_000, 'the chart pull and the remote resource held by the tarpit');
    // Both render slots may be held by now; the good Sync still gets its turn once they give up.
    await createSync(cluster, ns, 'good', { url: repo.url, path: 'good', interval: '10m' });

    expect((await timedOut('chart')).reason).toMatch(/^(RenderFailed|Chart\w+)$/);
    expect((await timedOut('remote')).reason).toBe('RenderFailed');
    await readyAt(cluster, ns, 'good', repo.head(), 45_000);
    // Killed on the deadline, not after the tools' own timeouts (helm 120 s, kustomize 60 s).
    expect(Date.now() - started).toBeLessThan(40_000);
    // Nothing of theirs reached the cluster, and the connections were dropped with the killed processes.
    expect((await syncStatus(cluster, ns, 'chart')).lastAppliedRevision).toBeUndefined();
    await eventually(async () => held.size === 0, 15_000, 'the tarpit connections closed');
  }, 120_000);
});
