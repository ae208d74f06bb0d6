import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { createSync, installSyncCrd, readyAt, syncStatus } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { createGitRepo } from '../test/support/git-repo';
import { type RunningAgent, startAgent } from './run-agent';

// A YAML error on a Secret's value line: the parser's own message quotes that line with a caret under the error, i.e.
// the password. The agent (in this worker, against the real API server and git server) reports where the error is,
// file, line and column, and never the line: not in the Sync's status, not in the RenderFailed Event (readable by the
// built-in `view` role, which cannot read Secrets), not in its log.

const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const password = `pw-${Math.random().toString(36).slice(2, 10)}`;
const printed: string[] = [];
let agent: RunningAgent;
let ns: string;

beforeAll(async () => {
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
  }
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('render-lines');
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'agent-cache-')),
    port: 0,
    watchNamespace: ns,
  });
});

afterAll(async () => {
  await agent?.stop();
  vi.restoreAllMocks();
  cluster.close();
});

describe('a YAML error on the line of a Secret value', () => {
  it.each([
    ['an unclosed quote', `  password: "${password}\n`, /Missing closing "quote at line 6, column 1 \(MISSING_CHAR\)/],
    ['a nested mapping', `  password: ${password}: x\n`, /at line 5, column \d+ \(BLOCK_AS_IMPLICIT_KEY\)/],
  ])('with %s is reported as file, line and column, the value nowhere', async (_, line, where) => {
    const name = `s${Math.random().toString(36).slice(2, 6)}`;
    const secret = (value: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata: { name: db, namespace: ${ns} }\nstringData:\n${value}`;
    const repo = await createGitRepo('render-lines', { 'apps/db.yaml': secret('  password: fine\n') });
    await createSync(cluster, ns, name, { url: repo.url, path: 'apps' });
    await readyAt(cluster, ns, name, repo.head());
    const broken = repo.commit({ 'apps/db.yaml': secret(line) }, 'Rotate the password');
    await agent.controller.reconcileNow({ url: repo.url, branch: 'main' });

    const status = await syncStatus(cluster, ns, name);
    expect(status.lastAttemptedRevision).toBe(broken);
    const stalled = status.conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'RenderFailed' });
    expect(stalled?.message).toMatch(/^db\.yaml \(document 0\): is not valid YAML: /);
    expect(stalled?.message).toMatch(where);
    const events = (await cluster.list('v1', 'Event', { namespace: ns })).filter((e) => e.reason === 'RenderFailed');
    expect(events.length).toBeGreaterThan(0);
    expect(printed.join('')).toContain('db.yaml');

    const outputs = { status: JSON.stringify(status), events: JSON.stringify(events), log: printed.join('') };
    for (const [where, text] of Object.entries(outputs)) expect(text, where).not.toContain(password);
  });
});
