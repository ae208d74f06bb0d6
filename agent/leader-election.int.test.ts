import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../core/sync/kube-object';
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

  // A holder whose clock is off by a minute writes renewTimes a minute off. Judged by the standby's own clock, as
  // client-go does not, a holder behind would look expired while it renews (two leaders), and one ahead would keep its
  // lease for a minute after it died. client-go judges by when the standby last saw the record change.
  describe('with a holder whose clock is skewed', () => {
    const leaseDurationSeconds = 3;
    const ref = (namespace: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace,
      name: 'tidemark-agent',
    });

    /** Another replica holding the lease, renewing every 500 ms with its own (skewed) clock, until `stop`. */
    async function skewedHolder(namespace: string, skewMs: number) {
      const stamp = () => new Date(Date.now() + skewMs).toISOString().replace('Z', '000Z');
      await cluster.create({
        ...ref(namespace),
        metadata: { name: 'tidemark-agent', namespace },
        spec: { holderIdentity: 'skewed-pod', leaseDurationSeconds, acquireTime: stamp(), renewTime: stamp() },
      });
      let renewing = true;
      const loop = (async () => {
        while (renewing) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          if (!renewing) break;
          const lease = (await cluster.get(ref(namespace))) as KubeObject;
          if ((lease.spec as { holderIdentity?: string }).holderIdentity !== 'skewed-pod') break;
          await cluster
            .replace({ ...lease, spec: { ...(lease.spec as object), renewTime: stamp() } })
            .catch(() => undefined);
        }
      })();
      return {
        async stop() {
          renewing = false;
          await loop;
        },
      };
    }

    /** Starts `election` once; `within(ms)` tells whether it leads by then. */
    function candidate(election: LeaderElection) {
      let leads = false;
      void election
        .run(() => {})
        .then(() => {
          leads = true;
        });
      return {
        async within(ms: number): Promise<boolean> {
          const deadline = Date.now() + ms;
          while (!leads && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
          return leads;
        },
      };
    }

    it('does not take the lease from a holder that keeps renewing with a clock a minute behind', async () => {
      const namespace = await uniqueNamespace('lease-behind');
      const holder = await skewedHolder(namespace, -60_000);
      const standby = new LeaderElection(
        cluster,
        { namespace, name: 'tidemark-agent', identity: 'pod-b', leaseDurationSeconds, retryPeriodMs: 200 },
        logger,
      );
      try {
        const waiting = candidate(standby);
        // Three lease durations while the holder renews: the standby must stay a standby.
        expect(await waiting.within(3 * leaseDurationSeconds * 1000)).toBe(false);
        await holder.stop();
        // Once the renewals stop, the standby takes over after one lease duration of its own clock.
        expect(await waiting.within((leaseDurationSeconds + 3) * 1000)).toBe(true);
      } finally {
        await holder.stop();
        await standby.release();
      }
    });

    it('takes the lease one lease duration after a holder with a clock a minute ahead stopped renewing', async () => {
      const namespace = await uniqueNamespace('lease-ahead');
      const holder = await skewedHolder(namespace, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await holder.stop();
      const standby = new LeaderElection(
        cluster,
        { namespace, name: 'tidemark-agent', identity: 'pod-b', leaseDurationSeconds, retryPeriodMs: 200 },
        logger,
      );
      try {
        expect(await candidate(standby).within((leaseDurationSeconds + 3) * 1000)).toBe(true);
      } finally {
        await standby.release();
      }
    });
  });
});
