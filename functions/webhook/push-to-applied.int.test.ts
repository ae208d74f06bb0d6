import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { SyncQueue } from '../../adapters/sync-queue/sync-queue';
import { type RunningAgent, startAgent } from '../../agent/run-agent';
import { createScratchQueue, githubPush, lambdaContext, type ScratchQueue, webhookDelivery } from '../../local/invoke';
import { createSync, installSyncCrd } from '../../test/support/agent';
import { uniqueNamespace } from '../../test/support/cluster';
import { eventually } from '../../test/support/eventually';
import { createGitRepo, type TestGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';

// The whole outbound-only path on the local environment, nothing stubbed: a commit pushed to the real git server, the
// signed push delivered to the webhook handler, the SyncRequest on a moto SQS queue, the agent's own listener (`tidemark agent
// --sync-queue-url`) receiving it and the real agent applying the commit to the real API server. The Sync polls only hourly, so the change can only
// have arrived through the queue.
const configMap = (namespace: string, color: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${namespace}\ndata:\n  color: ${color}\n`;

describe('a push reaches the cluster through the webhook and the sync queue', () => {
  let namespace: string;
  let repo: TestGitRepo;
  let queue: ScratchQueue;
  let cluster: ClusterClient;
  let agent: RunningAgent;
  let cacheDir: string;
  let secret: string;
  let deliver: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

  beforeAll(async () => {
    const env = localEnv();
    namespace = await uniqueNamespace('push-e2e');
    repo = await createGitRepo('push-e2e', { 'clusters/dev/settings.yaml': configMap(namespace, 'blue') });
    cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
    // Waits until the API server serves the Sync kind: applying a Sync right after its CRD can meet a 404.
    await installSyncCrd(cluster);
    await createSync(cluster, namespace, 'dev', {
      url: repo.url,
      branch: 'main',
      path: 'clusters/dev',
      interval: '1h',
    });

    queue = await createScratchQueue('push-e2e-dev');
    const secretName = `tidemark-test/webhook-${randomBytes(4).toString('hex')}`;
    secret = randomBytes(20).toString('hex');
    await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: secretName, SecretString: secret }));
    vi.stubEnv(
      'TIDEMARK_CONFIG',
      JSON.stringify({
        configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'unused' },
        clusters: [{ name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' }],
        images: { ecrRepositories: ['web'] },
        webhook: { secretName },
      }),
    );
    vi.stubEnv('TIDEMARK_SYNC_QUEUE_URLS', JSON.stringify({ dev: queue.url }));
    vi.resetModules();
    const { handler } = await import('./handler');
    deliver = (event) => handler(event, lambdaContext('webhook'));

    cacheDir = mkdtempSync(join(tmpdir(), 'tidemark-push-e2e-'));
    // As `tidemark agent --sync-queue-url`: the agent runs the sync-queue listener itself.
    agent = await startAgent({
      kubeconfig: env.kube.kubeconfigPath,
      cacheDir,
      port: 0,
      watchNamespace: namespace,
      syncQueueUrl: queue.url,
    });
    await eventually(
      async () => (await syncStatus())?.lastAppliedRevision === repo.head() || undefined,
      60_000,
      'the first apply',
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await queue?.delete();
    vi.unstubAllEnvs();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  async function syncStatus() {
    const sync = await cluster.get({ apiVersion: 'tidemark.dev/v1alpha1', kind: 'Sync', namespace, name: 'dev' });
    return (sync as { status?: { lastAppliedRevision?: string; lastSyncTime?: string } } | undefined)?.status;
  }

  async function color() {
    const cm = await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' });
    return (cm as { data?: Record<string, string> } | undefined)?.data?.color;
  }

  it('applies the pushed commit and records its revision on the Sync', async () => {
    expect(await color()).toBe('blue');
    const before = repo.head();
    const after = repo.commit({ 'clusters/dev/settings.yaml': configMap(namespace, 'green') }, 'turn green');
    const payload = githubPush({ repoUrl: repo.url, before, after, modified: ['clusters/dev/settings.yaml'] });

    const response = await deliver(webhookDelivery({ event: 'push', payload, secret }));
    expect(response.statusCode).toBe(200);

    await eventually(
      async () => ((await color()) === 'green' ? true : undefined),
      60_000,
      'the ConfigMap turning green',
    );
    expect((await syncStatus())?.lastAppliedRevision).toBe(after);
  });

  it('does not reconcile again for a revision the agent has already applied (a redelivered push)', async () => {
    const head = repo.head();
    const appliedAt = (await syncStatus())?.lastSyncTime;
    const payload = githubPush({
      repoUrl: repo.url,
      before: head,
      after: head,
      modified: ['clusters/dev/settings.yaml'],
    });
    expect((await deliver(webhookDelivery({ event: 'push', payload, secret }))).statusCode).toBe(200);
    // The listener takes the message and drops it: the queue empties while the Sync's last sync stays where it was.
    await eventually(
      async () => ((await queue.depth()) === 0 ? true : undefined),
      60_000,
      'the message leaving the queue',
    );
    expect(await syncStatus()).toMatchObject({ lastAppliedRevision: head, lastSyncTime: appliedAt });
  });

  // Issue 11, bug 2: the listener and the controller must agree on which Syncs a request names. A request whose repo
  // URL is written differently from the Sync's (another scheme, no `.git`, a trailing slash) was matched by the
  // listener and not by the controller, then deleted: nothing was applied until the Sync's interval poll (here 1 h).
  it('applies a commit named by https://HOST/REPO/ for a Sync of http://HOST/REPO.git', async () => {
    const after = repo.commit({ 'clusters/dev/settings.yaml': configMap(namespace, 'yellow') }, 'turn yellow');
    const written = `${repo.url.replace(/^http:/, 'https:').replace(/\.git$/, '')}/`;
    // As the image updater sends it after its own commit (or a webhook with the config's URL written so).
    await new SyncQueue(queue.url).send({
      repo: written,
      branch: 'main',
      revision: after,
      pushedAt: new Date().toISOString(),
      deliveryId: `image-updater:${after}`,
    });
    await eventually(
      async () => ((await color()) === 'yellow' ? true : undefined),
      60_000,
      'the ConfigMap turning yellow',
    );
    expect((await syncStatus())?.lastAppliedRevision).toBe(after);
  });
});
