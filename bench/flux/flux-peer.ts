import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { LocalEnvironment } from '../../local/environment';
import { githubPush } from '../../local/invoke';
import type { BenchRepo } from '../support/bench-repo';
import type { RunningFlux } from './flux-controllers';
import { annotate, conditionTrue, type RacePeer, until } from './race-peer';

const SOURCE = 'source.toolkit.fluxcd.io/v1';
const KUSTOMIZE = 'kustomize.toolkit.fluxcd.io/v1';
const NOTIFICATION = 'notification.toolkit.fluxcd.io/v1';
const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

export interface FluxOptions {
  /** GitRepository interval: `flux bootstrap`'s default is 1m. */
  sourceInterval: string;
  /** Kustomization interval: `flux bootstrap`'s default is 10m. */
  interval: string;
  /** `spec.wait`: health-check every applied object before Ready (off by default, as in Flux's guides). */
  wait: boolean;
}

/**
 * Flux as its docs set it up: a GitRepository with basic auth, a Kustomization of its `apps` folder with prune, and a
 * `github` Receiver (the push webhook, the fastest way Flux hears of a commit) that reconciles the GitRepository.
 */
export class FluxPeer implements RacePeer {
  readonly name = 'Flux';
  private readonly token = randomBytes(20).toString('hex');
  private webhookPath = '';

  constructor(
    private readonly cluster: ClusterClient,
    private readonly flux: RunningFlux,
    readonly repo: BenchRepo,
    readonly objectPrefix: string,
    private readonly namespace: string,
    private readonly git: LocalEnvironment['git'],
    private readonly options: FluxOptions,
  ) {}

  pids(): number[] {
    return Object.values(this.flux.pids);
  }

  private ref(apiVersion: string, kind: string) {
    return { apiVersion, kind, namespace: this.namespace, name: 'race' };
  }

  /** The credentials Secret and the Receiver, which exist before the race starts. */
  async install(): Promise<void> {
    const { cluster, namespace } = this;
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { manager: 'bench' });
    await cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'git', namespace },
        stringData: { username: this.git.username, password: this.git.password },
      },
      { manager: 'bench' },
    );
    await cluster.apply(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'webhook', namespace }, stringData: { token: this.token } },
      { manager: 'bench' },
    );
    await cluster.apply(
      {
        apiVersion: NOTIFICATION,
        kind: 'Receiver',
        metadata: { name: 'race', namespace },
        spec: {
          type: 'github',
          events: ['push'],
          secretRef: { name: 'webhook' },
          resources: [{ apiVersion: SOURCE, kind: 'GitRepository', name: 'race' }],
        },
      },
      { manager: 'bench' },
    );
    await until(
      'the Flux Receiver to be Ready',
      async () => {
        const receiver = await cluster.get(this.ref(NOTIFICATION, 'Receiver'));
        this.webhookPath = ((receiver?.status ?? {}) as { webhookPath?: string }).webhookPath ?? '';
        return conditionTrue(receiver) && this.webhookPath !== '';
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
  }

  async start(): Promise<void> {
    const { cluster, namespace } = this;
    await cluster.apply(
      {
        apiVersion: SOURCE,
        kind: 'GitRepository',
        metadata: { name: 'race', namespace },
        spec: {
          url: this.repo.url,
          ref: { branch: 'main' },
          interval: this.options.sourceInterval,
          secretRef: { name: 'git' },
        },
      },
      { manager: 'bench' },
    );
    await cluster.apply(
      {
        apiVersion: KUSTOMIZE,
        kind: 'Kustomization',
        metadata: { name: 'race', namespace },
        spec: {
          interval: this.options.interval,
          path: './apps',
          prune: true,
          wait: this.options.wait,
          sourceRef: { kind: 'GitRepository', name: 'race' },
        },
      },
      { manager: 'bench' },
    );
  }

  async isReadyAt(revision: string): Promise<boolean> {
    const ks = await this.cluster.get(this.ref(KUSTOMIZE, 'Kustomization'));
    const applied = ((ks?.status ?? {}) as { lastAppliedRevision?: string }).lastAppliedRevision ?? '';
    return conditionTrue(ks) && applied.endsWith(revision);
  }

  /** `flux reconcile kustomization race --with-source`: the source first, then the Kustomization. */
  async reconcileNow(): Promise<void> {
    for (const ref of [this.ref(SOURCE, 'GitRepository'), this.ref(KUSTOMIZE, 'Kustomization')]) {
      const token = new Date().toISOString();
      await annotate(this.cluster, ref, REQUESTED_AT, token);
      await until(
        `Flux to handle the reconcile request on ${ref.kind}/${ref.name}`,
        async () => {
          const object = await this.cluster.get(ref);
          const status = (object?.status ?? {}) as { lastHandledReconcileAt?: string };
          return status.lastHandledReconcileAt === token && conditionTrue(object);
        },
        { timeoutMs: 600_000, everyMs: 100 },
      );
    }
  }

  /** GitHub's signed `push` delivery to the Receiver's webhook path, as GitHub would POST it. */
  async notifyPush(before: string, after: string, modified: string[]): Promise<void> {
    const body = JSON.stringify(githubPush({ repoUrl: this.repo.url, before, after, modified }));
    const response = await fetch(`${this.flux.receiverUrl}${this.webhookPath}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/a1b2c3d',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', this.token).update(body).digest('hex')}`,
      },
      body,
    });
    if (!response.ok) throw new Error(`the Flux Receiver answered ${response.status}: ${await response.text()}`);
  }

  async reconciles(): Promise<Record<string, number>> {
    const sum = (metrics: string, controller: string) =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith('controller_runtime_reconcile_total{') && l.includes(`controller="${controller}"`))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    return {
      Kustomization: sum(await this.flux.metrics('kustomize-controller'), 'kustomization'),
      GitRepository: sum(await this.flux.metrics('source-controller'), 'gitrepository'),
    };
  }

  /** Deletes the Kustomization without pruning (the race deletes the namespaces), then the source and Receiver. */
  async remove(): Promise<void> {
    const ks = this.ref(KUSTOMIZE, 'Kustomization');
    if (await this.cluster.get(ks)) await this.cluster.mergePatch(ks, { spec: { prune: false } });
    for (const ref of [ks, this.ref(SOURCE, 'GitRepository'), this.ref(NOTIFICATION, 'Receiver')])
      await this.cluster.delete(ref).catch(() => undefined);
    await until(
      'Flux to finalise the Kustomization and the GitRepository',
      async () =>
        (await this.cluster.get(ks)) === undefined &&
        (await this.cluster.get(this.ref(SOURCE, 'GitRepository'))) === undefined,
      { timeoutMs: 120_000, everyMs: 500 },
    ).catch(() => undefined);
  }
}
