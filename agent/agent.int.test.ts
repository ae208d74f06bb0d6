import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { syncApiVersion, syncKind } from '../core/sync/sync';
import { configMapYaml, createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';
import { type RunningAgent, startAgent } from './run-agent';

// The agent as a local process (in this test worker) against the real API server, controller manager and git
// server. It watches only its test namespace's Syncs, so parallel test files do not see each other.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const run = promisify(execFile);
let agent: RunningAgent;
let ns: string;

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('agent');
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

const events = async (namespace: string, reason: string) =>
  (await cluster.list('v1', 'Event', { namespace })).filter((e) => e.reason === reason).map((e) => String(e.message));

describe('the agent', () => {
  it('applies a Sync, reports Ready with the revision and inventory, and serves metrics', async () => {
    const repo = await createGitRepo('agent-apply', { 'apps/a.yaml': configMapYaml(ns, 'a', { k: 'v' }) });
    await createSync(cluster, ns, 'apply', { url: repo.url, path: 'apps' });
    const status = await readyAt(cluster, ns, 'apply', repo.head());
    expect(status.inventory?.entries).toEqual([{ id: `${ns}_a__ConfigMap`, v: 'v1' }]);
    expect(status.history?.[0]).toMatchObject({ outcome: 'applied', changes: { created: 1 } });
    const metrics = await (await fetch(`http://127.0.0.1:${agent.port}/metrics`)).text();
    expect(metrics).toContain(`tidemark_objects_total{sync="${ns}.apply",action="created"} 1`);
    expect((await fetch(`http://127.0.0.1:${agent.port}/readyz`)).status).toBe(200);
  });

  it('reverts a kubectl edit of a managed field within seconds and names kubectl-edit in an Event', async () => {
    const repo = await createGitRepo('agent-heal', { 'apps/cm.yaml': configMapYaml(ns, 'healed', { mode: 'git' }) });
    await createSync(cluster, ns, 'heal', { url: repo.url, path: 'apps' });
    await readyAt(cluster, ns, 'heal', repo.head());
    execFileSync('kubectl', ['-n', ns, 'edit', 'configmap', 'healed'], {
      env: { ...process.env, KUBE_EDITOR: 'sed -i s/mode:\\ git/mode:\\ hand/' },
      stdio: 'pipe',
    });
    await eventually(async () => {
      const live = await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'healed' });
      return (live?.data as Record<string, string>)?.mode === 'git';
    }, 15_000);
    const healed = await eventually(async () => (await events(ns, 'Healed')).find((m) => m.includes('healed')), 10_000);
    expect(healed).toBe(`ConfigMap/${ns}/healed was changed by kubectl-edit; re-applied from Git`);
  });

  it('reconciles at once when tidemark.dev/requested-at changes, and when reconcileNow is called', async () => {
    const repo = await createGitRepo('agent-now', { 'apps/cm.yaml': configMapYaml(ns, 'now', { v: '1' }) });
    await createSync(cluster, ns, 'now', { url: repo.url, path: 'apps', interval: '1h' });
    await readyAt(cluster, ns, 'now', repo.head());

    const second = repo.commit({ 'apps/cm.yaml': configMapYaml(ns, 'now', { v: '2' }) });
    const requestedAt = new Date().toISOString();
    await cluster.mergePatch(
      { apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name: 'now' },
      { metadata: { annotations: { 'tidemark.dev/requested-at': requestedAt } } },
    );
    const status = await readyAt(cluster, ns, 'now', second, 20_000);
    expect(status.lastHandledRequestedAt).toBe(requestedAt);

    // `tidemark reconcile NAME --wait`, the CLI way to set the annotation and see the answer.
    const fourth = repo.commit({ 'apps/cm.yaml': configMapYaml(ns, 'now', { v: '4' }) });
    // Asynchronously: the agent runs in this process, so a synchronous spawn would block it from answering.
    const cli = await run(
      process.execPath,
      [join(import.meta.dirname, '../cli/bin.js'), 'reconcile', 'now', '-n', ns, '--wait'],
      {
        env: process.env,
      },
    );
    expect(cli.stdout).toBe(`Ready: ReconciliationSucceeded: Applied revision ${fourth}\n`);

    const third = repo.commit({ 'apps/cm.yaml': configMapYaml(ns, 'now', { v: '3' }) });
    const outcomes = await agent.controller.reconcileNow({ url: `${repo.url}/`, branch: 'main' });
    expect(outcomes.map((o) => [o.kind, o.revision])).toEqual([['applied', third]]);
  });

  it('stalls on a render error, keeps the objects, and says why in status and an Event', async () => {
    const repo = await createGitRepo('agent-stall', { 'apps/cm.yaml': configMapYaml(ns, 'kept', { v: '1' }) });
    await createSync(cluster, ns, 'stall', { url: repo.url, path: 'apps' });
    await readyAt(cluster, ns, 'stall', repo.head());
    const broken = repo.commit({ 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' });
    await agent.controller.reconcileNow({ url: repo.url, branch: 'main' });
    const status = await syncStatus(cluster, ns, 'stall');
    expect(status.lastAttemptedRevision).toBe(broken);
    expect(status.lastAppliedRevision).not.toBe(broken);
    expect(status.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'RenderFailed',
      message:
        'cm.yaml (document 0): ConfigMap has no metadata.name. Set metadata.name (generateName is not supported: a generated name cannot be tracked across reconciles); nothing applied or pruned',
    });
    expect(await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'kept' })).toBeDefined();
    expect(await events(ns, 'RenderFailed')).not.toEqual([]);
  });

  it('retries a failing Sync after growing, jittered delays rather than at its interval', async () => {
    const repo = await createGitRepo('agent-backoff');
    await createSync(cluster, ns, 'backoff', { url: `${repo.url.replace(/\.git$/, '')}-missing.git`, interval: '10s' });
    // Four attempts: the history keeps their times (to the second).
    const history = await eventually(async () => {
      const attempts = (await syncStatus(cluster, ns, 'backoff')).history ?? [];
      return attempts.length >= 4 ? attempts : undefined;
    }, 60_000);
    expect(history.every((attempt) => attempt.outcome === 'fetch-failed')).toBe(true);
    const times = history.map((attempt) => Date.parse(attempt.time)).reverse();
    const gaps = times.slice(1).map((time, i) => (time - (times[i] as number)) / 1000);
    // About 2 s, 4 s, 8 s: each retry waits longer, and none waits for the 10 s interval.
    expect(gaps[2]).toBeGreaterThan(gaps[0] as number);
    expect(gaps[0]).toBeLessThan(5);
  });

  /** A hand edit of the ConfigMap's `mode`, as `kubectl edit` makes it. */
  const handEdit = (name: string) =>
    execFileSync('kubectl', ['-n', ns, 'edit', 'configmap', name], {
      env: { ...process.env, KUBE_EDITOR: 'sed -i s/mode:\\ git/mode:\\ hand/' },
      stdio: 'pipe',
    });
  const modeOf = async (name: string) =>
    ((await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name }))?.data as Record<string, string>)
      ?.mode;
  const syncRef = (name: string) => ({ apiVersion: syncApiVersion, kind: syncKind, namespace: ns, name });

  it('stops reverting hand edits once the Sync is suspended', async () => {
    const repo = await createGitRepo('agent-suspend', {
      'apps/cm.yaml': configMapYaml(ns, 'suspended', { mode: 'git' }),
    });
    await createSync(cluster, ns, 'suspend', { url: repo.url, path: 'apps' });
    await readyAt(cluster, ns, 'suspend', repo.head());
    await cluster.mergePatch(syncRef('suspend'), { spec: { suspend: true } });
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the agent sees the change through its watch
    handEdit('suspended');
    // Self-heal reverts within a second or two (see the test above); give it five.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await modeOf('suspended')).toBe('hand');
  });

  it('stops reverting hand edits once selfHeal is false, even while its reconciles fail', async () => {
    const repo = await createGitRepo('agent-noheal', { 'apps/cm.yaml': configMapYaml(ns, 'noheal', { mode: 'git' }) });
    await createSync(cluster, ns, 'noheal', { url: repo.url, path: 'apps' });
    await readyAt(cluster, ns, 'noheal', repo.head());
    await cluster.mergePatch(syncRef('noheal'), { spec: { selfHeal: false, branch: 'no-such-branch' } });
    await eventually(async () => (await syncStatus(cluster, ns, 'noheal')).history?.[0]?.outcome === 'fetch-failed');
    handEdit('noheal');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(await modeOf('noheal')).toBe('hand');
  });
});
