import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { syncApiVersion, syncKind } from '../core/sync/sync';
import { configMapYaml, createSync, eventually, installSyncCrd, readyAt } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';
import { type RunningAgent, startAgent } from './run-agent';

// Deleting a Sync, with the agent running against the real API server (which holds the Sync until the agent's
// finalizer is removed) and the real git server.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let agent: RunningAgent;
let ns: string;
const extraNamespaces: string[] = [];

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('sync-delete');
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: ns,
  });
});

afterAll(async () => {
  await agent?.stop();
  for (const name of extraNamespaces) await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name });
  cluster.close();
});

const configMap = (name: string) => cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
const syncRef = (name: string) => ({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name });
const eventsOf = async (name: string, reason: string) =>
  (await cluster.list('v1', 'Event', { namespace: ns }))
    .filter((e) => (e.involvedObject as { name?: string }).name === name && e.reason === reason)
    .map((e) => String(e.message));

describe('deleting a Sync', () => {
  it('with prune: true deletes what it applied by the prune rules (a Namespace without the annotation stays), then goes', async () => {
    const kept = `${ns}-kept`;
    extraNamespaces.push(kept);
    const repo = await createGitRepo('sync-delete-prune', {
      'apps/a.yaml': configMapYaml(ns, 'prune-a', { k: 'a' }),
      'apps/b.yaml': configMapYaml(ns, 'prune-b', { k: 'b' }),
      'apps/ns.yaml': stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: kept } }),
    });
    await createSync(cluster, ns, 'prune', { url: repo.url, path: 'apps', prune: true });
    await readyAt(cluster, ns, 'prune', repo.head());
    expect((await cluster.get(syncRef('prune')))?.metadata.finalizers).toEqual(['tidemark.dev/finalizer']);

    await cluster.delete(syncRef('prune'));
    await eventually(async () => (await cluster.get(syncRef('prune'))) === undefined, 30_000, 'the Sync gone');
    const left = [
      await configMap('prune-a'),
      await configMap('prune-b'),
      await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: kept }),
    ].filter((o) => o !== undefined && !o.metadata.deletionTimestamp);
    console.log(`objects left after deleting a Sync of 3 (prune: true): ${left.length} (${left.map((o) => o?.kind)})`);
    expect(left.map((o) => `${o?.kind}/${o?.metadata.name}`)).toEqual([`Namespace/${kept}`]);
    const [event] = await eventsOf('prune', 'Pruned');
    expect(event).toContain('Sync deleted: deleted 2 objects it applied');
    expect(event).toContain(`kept 1: Namespace/${kept} (a Namespace is pruned only with the annotation`);
  });

  it('with prune: false leaves what it applied and says so in an Event, then goes', async () => {
    const repo = await createGitRepo('sync-delete-orphan', {
      'apps/c.yaml': configMapYaml(ns, 'orphan-c', { k: 'c' }),
    });
    await createSync(cluster, ns, 'orphan', { url: repo.url, path: 'apps', prune: false });
    await readyAt(cluster, ns, 'orphan', repo.head());

    await cluster.delete(syncRef('orphan'));
    await eventually(async () => (await cluster.get(syncRef('orphan'))) === undefined, 30_000, 'the Sync gone');
    expect(await configMap('orphan-c')).toBeDefined();
    const orphaned = await eventually(async () => (await eventsOf('orphan', 'Orphaned'))[0], 10_000);
    expect(orphaned).toBe(`Sync deleted with prune: false: left 1 objects in place: ConfigMap/${ns}/orphan-c`);
  });
});
