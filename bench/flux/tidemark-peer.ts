import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { requestedAtAnnotation } from '../../core/sync/ownership';
import type { LocalEnvironment } from '../../local/environment';
import { githubPush, lambdaContext, type ScratchQueue, webhookDelivery } from '../../local/invoke';
import type { AgentProcess } from '../support/agent-process';
import type { BenchRepo } from '../support/bench-repo';
import { annotate, conditionTrue, type RacePeer, until } from './race-peer';

const SYNC = { apiVersion: 'tidemark.dev/v1alpha1', kind: 'Sync' };
type WebhookHandler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Tidemark as its README sets it up: a Sync of the repository's `apps` folder (defaults: interval 1m, prune and
 * self-heal on), the agent long-polling the cluster's sync queue, and the webhook Lambda handler (invoked in process
 * with the Function URL event GitHub's delivery becomes) putting each push on that queue.
 */
export class TidemarkPeer implements RacePeer {
  readonly name = 'Tidemark';
  private handler?: WebhookHandler;
  private readonly secret = randomBytes(20).toString('hex');

  constructor(
    private readonly cluster: ClusterClient,
    private readonly agent: () => AgentProcess,
    readonly repo: BenchRepo,
    readonly objectPrefix: string,
    private readonly namespace: string,
    private readonly env: LocalEnvironment,
    private readonly queue: ScratchQueue,
  ) {}

  pids(): number[] {
    return [this.agent().pid];
  }

  private readonly ref = () => ({ ...SYNC, namespace: this.namespace, name: 'race' });

  /** The namespace and credentials Secret, and the webhook handler configured for this repository and queue. */
  async install(): Promise<void> {
    const { cluster, namespace } = this;
    await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, { manager: 'bench' });
    await cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'git', namespace },
        stringData: { username: this.env.git.username, password: this.env.git.password },
      },
      { manager: 'bench' },
    );
    const secretName = `tidemark-bench/race-webhook-${namespace}`;
    await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: secretName, SecretString: this.secret }));
    Object.assign(process.env, this.env.functionEnv, {
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
      TIDEMARK_CONFIG: JSON.stringify({
        configRepo: { provider: 'git', url: this.repo.url, branch: 'main', authSecretName: 'unused' },
        clusters: [{ name: 'race', eksClusterName: 'local', region: this.env.aws.region, path: 'apps' }],
        images: { ecrRepositories: ['web'] },
        webhook: { secretName },
      }),
      TIDEMARK_SYNC_QUEUE_URLS: JSON.stringify({ race: this.queue.url }),
    });
    this.handler = (await import('../../functions/webhook/handler')).handler as WebhookHandler;
  }

  async start(): Promise<void> {
    await this.cluster.apply(
      {
        ...SYNC,
        metadata: { name: 'race', namespace: this.namespace },
        spec: { url: this.repo.url, branch: 'main', path: 'apps', secretRef: { name: 'git' } },
      },
      { manager: 'bench' },
    );
  }

  async isReadyAt(revision: string): Promise<boolean> {
    const sync = await this.cluster.get(this.ref());
    const status = (sync?.status ?? {}) as { lastAppliedRevision?: string };
    return conditionTrue(sync) && status.lastAppliedRevision === revision;
  }

  /** `tidemark reconcile race`: the annotation, then until the agent records it handled. */
  async reconcileNow(): Promise<void> {
    const token = new Date().toISOString();
    await annotate(this.cluster, this.ref(), requestedAtAnnotation, token);
    await until(
      'Tidemark to handle the reconcile request',
      async () => {
        const sync = await this.cluster.get(this.ref());
        const status = (sync?.status ?? {}) as { lastHandledRequestedAt?: string };
        return status.lastHandledRequestedAt === token && conditionTrue(sync);
      },
      { timeoutMs: 600_000, everyMs: 100 },
    );
  }

  async notifyPush(before: string, after: string, modified: string[]): Promise<void> {
    const payload = githubPush({ repoUrl: this.repo.url, before, after, modified });
    const response = await this.handler!(
      webhookDelivery({ event: 'push', payload, secret: this.secret }),
      lambdaContext('webhook'),
    );
    if (response.statusCode !== 200) throw new Error(`the webhook answered ${response.statusCode}: ${response.body}`);
  }

  async reconciles(): Promise<Record<string, number>> {
    const metrics = await this.agent().metrics();
    const count = metrics
      .split('\n')
      .filter((l) => l.startsWith('tidemark_reconcile_duration_seconds_count{'))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    return { Sync: count };
  }

  async remove(): Promise<void> {
    await this.cluster.delete(this.ref()).catch(() => undefined);
  }
}
