import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { selectorFor } from '../core/sync/ownership';
import { configMapYaml, createSync, installSyncCrd, readyAt } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';

// The agent as its own process (`tidemark agent`), killed with SIGKILL in the middle of an apply: no finally runs,
// no status is written. Restarted on the same cache folder, it must converge with exactly the objects Git holds.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const cli = join(import.meta.dirname, '../cli/bin.js');
const running: ChildProcess[] = [];

function startAgentProcess(namespace: string, cacheDir: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [cli, 'agent', '--port', '0', '--cache-dir', cacheDir, '--watch-namespace', namespace],
    { stdio: 'ignore', env: process.env },
  );
  running.push(child);
  return child;
}

beforeAll(() => installSyncCrd(cluster));
afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  cluster.close();
});

describe('the agent killed mid-apply', () => {
  it('converges after a restart with all 500 objects and nothing else', async () => {
    const ns = await uniqueNamespace('agent-kill');
    const files: Record<string, string> = {};
    for (let i = 0; i < 500; i++)
      files[`apps/cm-${String(i).padStart(3, '0')}.yaml`] = configMapYaml(ns, `cm-${i}`, { i: String(i) });
    const repo = await createGitRepo('agent-kill', files);
    const cacheDir = mkdtempSync(join(tmpdir(), 'agent-kill-cache-'));

    const first = startAgentProcess(ns, cacheDir);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    // Kill the moment the 100th object appears: the watch sees each creation as it happens.
    const stopWatching = new AbortController();
    let seen = 0;
    const watching = cluster
      .watch(
        'v1',
        'ConfigMap',
        { namespace: ns, labelSelector: 'app.kubernetes.io/managed-by=tidemark', signal: stopWatching.signal },
        (event) => {
          if (event.type === 'ADDED' && ++seen === 100) first.kill('SIGKILL');
        },
      )
      .catch(() => undefined);
    await createSync(cluster, ns, 'big', { url: repo.url, path: 'apps' });
    await exited;
    stopWatching.abort();
    await watching;
    const atKill = (
      await cluster.list('v1', 'ConfigMap', {
        namespace: ns,
        labelSelector: selectorFor({ namespace: ns, name: 'big' }),
      })
    ).length;
    expect(atKill).toBeGreaterThanOrEqual(100);
    expect(atKill).toBeLessThan(500);

    const second = startAgentProcess(ns, cacheDir);
    const status = await readyAt(cluster, ns, 'big', repo.head(), 90_000);
    expect(status.inventory?.entries).toHaveLength(500);
    const everywhere = await cluster.list('v1', 'ConfigMap', {
      labelSelector: selectorFor({ namespace: ns, name: 'big' }),
    });
    expect(everywhere.map((cm) => cm.metadata.name).sort()).toEqual(
      Array.from({ length: 500 }, (_, i) => `cm-${i}`).sort(),
    );
    expect(everywhere.every((cm) => cm.metadata.namespace === ns)).toBe(true);

    // SIGTERM is the graceful way out: running reconciles finish, then the process exits 0.
    const code = new Promise((resolve) => second.once('exit', resolve));
    second.kill('SIGTERM');
    expect(await code).toBe(0);
  });
});
