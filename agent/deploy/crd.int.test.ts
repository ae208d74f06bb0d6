import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { KubeApiError } from '../../adapters/kubernetes/kube-api-error';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { installSyncCrd } from '../../test/support/agent';
import { uniqueNamespace } from '../../test/support/cluster';

// The Sync CRD shipped in agent/deploy/base, installed on the real API server: what it refuses before the agent
// ever sees the Sync. The agent parses the spec again (core/sync/sync.ts), for Syncs created before a CRD upgrade.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
let ns: string;

beforeAll(async () => {
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('crd');
});
afterAll(() => cluster.close());

/** Creates a Sync with `spec`; the API server's refusal message, or undefined when it was accepted. */
async function refusal(spec: Record<string, unknown>): Promise<string | undefined> {
  const name = `s-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await cluster.apply({ apiVersion: syncApiVersion, kind: syncKind, metadata: { name, namespace: ns }, spec });
    return undefined;
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 422) return error.message;
    throw error;
  }
}

describe('the Sync CRD', () => {
  it('accepts an HTTPS URL, and plain HTTP on a loopback host (the local git server)', async () => {
    expect(await refusal({ url: 'https://git.example.com/config.git' })).toBeUndefined();
    expect(await refusal({ url: 'http://127.0.0.1:8080/config.git' })).toBeUndefined();
    expect(await refusal({ url: 'http://localhost/config.git' })).toBeUndefined();
  });

  it.each([
    'file:///var/run/secrets/kubernetes.io',
    'ssh://git@github.com/org/config.git',
    'git://git.example.com/config.git',
    'http://git.example.com/config.git',
    'git@github.com:org/config.git',
  ])('refuses the URL %s', async (url) => {
    expect(await refusal({ url })).toMatch(/spec\.url/);
  });

  it.each([
    'https://user:token@git.example.com/config.git',
    'https://token@git.example.com/config.git',
    'http://x:y@127.0.0.1:8080/config.git',
  ])('refuses the URL %s, which holds credentials', async (url) => {
    expect(await refusal({ url })).toMatch(/spec\.url: Invalid value: .*must not hold credentials/);
  });

  it.each(['1s', '2h'])('refuses the timeout %j, outside 5s to 1h', async (timeout) => {
    expect(await refusal({ url: 'https://git.example.com/config.git', timeout })).toMatch(/spec\.timeout/);
  });

  it.each(['0s', '0m', '5s', ''])('refuses the interval %j, below the minimum of 10s', async (interval) => {
    expect(await refusal({ url: 'https://git.example.com/config.git', interval })).toMatch(/spec\.interval/);
  });

  it('accepts the minimum interval', async () => {
    expect(await refusal({ url: 'https://git.example.com/config.git', interval: '10s' })).toBeUndefined();
  });
});
