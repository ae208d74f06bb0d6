import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext, scheduledEvent } from '../../local/invoke';
import { createGitRepo } from '../../test/support/git-repo';
import { uniqueName } from '../../test/support/local-env';

// The scanner's view of the agents: real `Sync` objects (the agent's CRD, agent/deploy/base/crd.yaml) on the real API
// server, found by the config repo URL and path, with the status the agent writes.

const kubectl = (...args: string[]) => execFileSync('kubectl', args, { stdio: 'pipe' }).toString();

describe('drift-scanner and the Syncs of a cluster', () => {
  const cluster = uniqueName('health');
  let head: string;

  beforeAll(async () => {
    kubectl('apply', '--server-side', '--force-conflicts', '-f', 'agent/deploy/base/crd.yaml');
    kubectl('wait', '--for=condition=Established', 'crd/syncs.tidemark.dev');
    // The agent's namespace; it may exist already (the demo installs the agent).
    spawnSync('kubectl', ['create', 'namespace', 'tidemark-system'], { stdio: 'ignore' });
    const repo = await createGitRepo('drift-health', { 'clusters/h/empty.yaml': '' });
    head = repo.head();
    process.env.TIDEMARK_CONFIG = JSON.stringify({
      configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
      // Two clusters on one path: scanned concurrently, they render the same revision at the same time.
      clusters: [
        { name: cluster, eksClusterName: 'local', region: 'us-east-1', path: 'clusters/h' },
        { name: `${cluster}-b`, eksClusterName: 'local', region: 'us-east-1', path: 'clusters/h' },
      ],
      images: { ecrRepositories: ['web'] },
      // Any lag counts, so the test need not wait ten minutes.
      thresholds: { revisionLagMinutes: 0.0001 },
    });
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const sync = {
      apiVersion: 'tidemark.dev/v1alpha1',
      kind: 'Sync',
      metadata: { name: cluster, namespace: 'tidemark-system' },
      spec: { url: repo.url, branch: 'main', path: 'clusters/h' },
    };
    execFileSync('kubectl', ['apply', '--server-side', '-f', '-'], { input: JSON.stringify(sync), stdio: 'pipe' });
    const status = {
      status: {
        lastAppliedRevision: '0000000000000000000000000000000000000000',
        conditions: [
          {
            type: 'Stalled',
            status: 'True',
            reason: 'PruneRefused',
            message: 'would delete 90% of the inventory',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      },
    };
    kubectl(
      '-n',
      'tidemark-system',
      'patch',
      'sync',
      cluster,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    );
  });

  afterAll(() => {
    kubectl('-n', 'tidemark-system', 'delete', 'sync', cluster, '--ignore-not-found');
  });

  it('reports a Sync behind the branch head and a Stalled Sync, found by repo URL and path', async () => {
    const { handler } = await import('./handler');
    const { clusters } = await handler(
      scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/drift'),
      lambdaContext('drift-scanner'),
    );
    expect(clusters.find((c) => c.cluster === `${cluster}-b`)?.outcome).toMatchObject({ kind: 'scanned' });
    const scanned = clusters.find((c) => c.cluster === cluster);
    expect(scanned?.outcome).toMatchObject({
      kind: 'scanned',
      report: {
        findings: [
          {
            kind: 'sync-lagging',
            sync: { namespace: 'tidemark-system', name: cluster },
            lastAppliedRevision: '0000000000000000000000000000000000000000',
            headRevision: head,
          },
          { kind: 'sync-stalled', reason: 'PruneRefused', message: 'would delete 90% of the inventory' },
        ],
      },
    });
    expect(scanned?.alerts).toEqual(['appeared']);
  });
});
