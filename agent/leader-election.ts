import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { KubeApiError } from '../adapters/kubernetes/kube-api-error';
import type { KubeObject } from '../core/sync/kube-object';

export interface LeaderElectionOptions {
  namespace: string;
  /** Lease name; one per agent installation. */
  name: string;
  /** This replica's identity (the pod name). */
  identity: string;
  /** A leader that has not renewed for this long is replaced. Default 15 s, as client-go's leaderelection. */
  leaseDurationSeconds?: number;
  /** How often the leader renews and a standby retries. Default 2 s. */
  retryPeriodMs?: number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/**
 * One leader among the agent's replicas, with a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does:
 * the holder renews every retry period; a standby takes the lease once the holder has not renewed for the lease
 * duration. Every write is guarded by resourceVersion, so two candidates cannot both win. A leader that cannot renew
 * in time calls `onLost` — the agent then exits rather than risk two writers, and Kubernetes restarts it as a standby.
 */
export class LeaderElection {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;

  constructor(
    private readonly cluster: ClusterClient,
    private readonly options: LeaderElectionOptions,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Resolves when this replica leads; `onLost` is called if it later stops leading. */
  async run(onLost: () => void): Promise<void> {
    const retry = this.options.retryPeriodMs ?? 2000;
    while (!(await this.tryAcquireOrRenew())) await new Promise((resolve) => setTimeout(resolve, retry));
    this.logger.info('became leader', { lease: `${this.options.namespace}/${this.options.name}` });
    this.timer = setInterval(async () => {
      const renewed = await this.tryAcquireOrRenew().catch(() => false);
      const duration = (this.options.leaseDurationSeconds ?? 15) * 1000;
      if (!renewed && Date.now() - this.lastRenew > duration * 0.8) {
        this.leading = false;
        clearInterval(this.timer);
        this.logger.error('lost the leader lease', { lease: `${this.options.namespace}/${this.options.name}` });
        onLost();
      }
    }, retry);
  }

  /** Gives the lease up (on SIGTERM), so a standby takes over at once instead of after the lease duration. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    if (!this.leading) return;
    this.leading = false;
    const lease = await this.cluster.get(this.ref());
    const spec = (lease?.spec ?? {}) as LeaseSpec;
    if (lease && spec.holderIdentity === this.options.identity) {
      await this.cluster
        .replace({ ...lease, spec: { ...spec, holderIdentity: undefined, leaseDurationSeconds: 1 } })
        .catch(() => {});
    }
  }

  private ref() {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: this.options.namespace,
      name: this.options.name,
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const duration = this.options.leaseDurationSeconds ?? 15;
    const mine: LeaseSpec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: duration,
      renewTime: now.toISOString().replace('Z', '000Z'),
    };
    try {
      const lease = await this.cluster.get(this.ref());
      if (lease === undefined) {
        await this.cluster.create({
          ...this.ref(),
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: { ...mine, acquireTime: mine.renewTime, leaseTransitions: 0 },
        });
      } else {
        const spec = (lease.spec ?? {}) as LeaseSpec;
        const held = spec.holderIdentity && spec.holderIdentity !== this.options.identity;
        const expires = Date.parse(spec.renewTime ?? '') + (spec.leaseDurationSeconds ?? duration) * 1000;
        if (held && expires > now.getTime()) return false;
        const taking = spec.holderIdentity !== this.options.identity;
        await this.cluster.replace({
          ...lease,
          spec: {
            ...spec,
            ...mine,
            ...(taking ? { acquireTime: mine.renewTime, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
          },
        } as KubeObject);
      }
      this.leading = true;
      this.lastRenew = now.getTime();
      return true;
    } catch (error) {
      // 409: another candidate wrote first. Anything else: try again next period.
      if (!(error instanceof KubeApiError)) throw error;
      return false;
    }
  }
}
