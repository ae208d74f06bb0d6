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

/** Milliseconds of a clock that only moves forward (unlike `Date.now()`, which NTP may step back or forth). */
const monotonicMs = () => performance.now();

/**
 * One leader among the agent's replicas, with a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does:
 * the holder renews every retry period; a standby takes the lease once the holder has not renewed for the lease
 * duration. Every write is guarded by resourceVersion, so two candidates cannot both win. A leader that cannot renew
 * in time calls `onLost` — the agent then exits rather than risk two writers, and Kubernetes restarts it as a standby.
 *
 * "Has not renewed" is judged as client-go judges it: by when this replica last saw the lease record change, on its own
 * monotonic clock, never by comparing the holder's `renewTime` with the local wall clock. Two pods' clocks can differ
 * by more than a lease duration; with `renewTime`, a holder whose clock is behind looks expired while it still renews
 * (two leaders), and one whose clock is ahead keeps the lease long after it died.
 */
export class LeaderElection {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;
  /** When this replica last renewed, on the monotonic clock. */
  private lastRenew = 0;
  /** The lease record as last seen (its spec, as JSON) and when it was first seen so, on the monotonic clock. */
  private observed: { record: string; at: number } | undefined;

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
    while (!(await this.tryAcquireOrRenew().catch(() => false))) {
      if (this.stopped) return new Promise(() => {}); // released while a standby: never leads
      await new Promise((resolve) => setTimeout(resolve, retry));
    }
    this.logger.info('became leader', { lease: `${this.options.namespace}/${this.options.name}` });
    this.timer = setInterval(async () => {
      const renewed = await this.tryAcquireOrRenew().catch(() => false);
      const duration = (this.options.leaseDurationSeconds ?? 15) * 1000;
      if (!renewed && monotonicMs() - this.lastRenew > duration * 0.8) {
        this.leading = false;
        clearInterval(this.timer);
        this.logger.error('lost the leader lease', { lease: `${this.options.namespace}/${this.options.name}` });
        onLost();
      }
    }, retry);
  }

  /**
   * Gives the lease up (on SIGTERM), so a standby takes over at once instead of after the lease duration. A standby
   * stops trying to acquire it.
   */
  async release(): Promise<void> {
    this.stopped = true;
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
    if (this.stopped) return false;
    const now = new Date();
    const duration = this.options.leaseDurationSeconds ?? 15;
    const mine: LeaseSpec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: duration,
      // Written for people reading the Lease (kubectl); no replica's decision depends on another's clock.
      renewTime: now.toISOString().replace('Z', '000Z'),
    };
    try {
      const lease = await this.cluster.get(this.ref());
      let written: KubeObject;
      if (lease === undefined) {
        written = await this.cluster.create({
          ...this.ref(),
          metadata: { name: this.options.name, namespace: this.options.namespace },
          spec: { ...mine, acquireTime: mine.renewTime, leaseTransitions: 0 },
        });
      } else {
        const spec = (lease.spec ?? {}) as LeaseSpec;
        const record = JSON.stringify(spec);
        if (this.observed?.record !== record) this.observed = { record, at: monotonicMs() };
        const held = spec.holderIdentity && spec.holderIdentity !== this.options.identity;
        const expiresAt = this.observed.at + (spec.leaseDurationSeconds ?? duration) * 1000;
        if (held && expiresAt > monotonicMs()) return false;
        const taking = spec.holderIdentity !== this.options.identity;
        written = await this.cluster.replace({
          ...lease,
          spec: {
            ...spec,
            ...mine,
            ...(taking ? { acquireTime: mine.renewTime, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
          },
        } as KubeObject);
      }
      this.observed = { record: JSON.stringify(written.spec ?? {}), at: monotonicMs() };
      this.leading = true;
      this.lastRenew = monotonicMs();
      return true;
    } catch (error) {
      // 409: another candidate wrote first. Anything else: try again next period.
      if (!(error instanceof KubeApiError)) throw error;
      return false;
    }
  }
}
