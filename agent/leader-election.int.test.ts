import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { uniqueNamespace } from '../test/support/cluster';
import { LeaderElection } from './leader-election';

// Two agent replicas competing for one Lease on the real API server.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const logger = new Logger({ serviceName: 'leader-election-test', logLevel: 'ERROR' });
afterAll(() => cluster.close());

describe('LeaderElection', () => {
  it('lets one replica lead, and hands over at once when the leader releases the lease', async () => {
    const namespace = await uniqueNamespace('lease');
    const options = { namespace, name: 'tidemark-agent', leaseDurationSeconds: 15, retryPeriodMs: 200 };
    const first = new LeaderElection(cluster, { ...options, identity: 'pod-a' }, logger);
    const second = new LeaderElection(cluster, { ...options, identity: 'pod-b' }, logger);
    await first.run(() => {});
    let secondLeads = false;
    const waiting = second
      .run(() => {})
      .then(() => {
        secondLeads = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([first.isLeader, secondLeads]).toEqual([true, false]);

    const released = Date.now();
    await first.release();
    await waiting;
    // Well under the 15 s lease duration: the standby did not have to wait for the lease to expire.
    expect(Date.now() - released).toBeLessThan(5000);
    const lease = await cluster.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace,
      name: 'tidemark-agent',
    });
    expect(lease?.spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
    await second.release();
  });
});
