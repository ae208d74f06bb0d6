import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { SyncQueue } from '../adapters/sync-queue/sync-queue';
import type { KubeObject } from '../core/sync/kube-object';
import { createScratchQueue, type ScratchQueue } from '../local/invoke';
import { installSyncCrd } from '../test/support/agent';
import { uniqueNamespace } from '../test/support/cluster';
import { eventually } from '../test/support/eventually';
import { createGitRepo, type TestGitRepo } from '../test/support/git-repo';
import { localEnv } from '../test/support/local-env';
import { type RunningAgent, startAgent } from './run-agent';

// Issue 11, bug 2: the sync-queue listener and the controller must agree on which Syncs a request names. A request
// whose repo URL is written differently from the Sync's (another scheme, `.git` or not, a trailing slash, user info,
// case) was matched by the listener and then not by the controller, so the message was deleted and nothing was
// applied until the Sync's interval poll. Everything here is real: git server, moto SQS, API server, the agent with its
// own listener. The Sync polls hourly, so the commit can only arrive through the queue.
const configMap = (namespace: string, color: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${namespace}\ndata:\n  color: ${color}\n`;

describe('a sync request names its repository however the URL is written', () => {
  let namespace: string;
  let repo: TestGitRepo;
  let queue: ScratchQueue;
  let cluster: ClusterClient;
  let agent: RunningAgent;
  let cacheDir: string;

  const color = async () => {
    const cm = await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' });
    return (cm?.data as Record<string, string> | undefined)?.color;
  };

  beforeAll(async () => {
    const env = localEnv();
    namespace = await uniqueNamespace('url-match');
    repo = await createGitRepo('url-match', { 'app/settings.yaml': configMap(namespace, 'blue') });
    cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
    await installSyncCrd(cluster);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'git', namespace },
      data: { username: b64(env.git.username), password: b64(env.git.password) },
    } as KubeObject);
    // The Sync as a user writes it: the clone URL with `.git`, over http (the local server has no TLS).
    await cluster.apply({
      apiVersion: 'tidemark.dev/v1alpha1',
      kind: 'Sync',
      metadata: { name: 'app', namespace },
      spec: { url: repo.url, branch: 'main', path: 'app', interval: '1h', secretRef: { name: 'git' } },
    } as KubeObject);
    queue = await createScratchQueue('url-match');
    cacheDir = mkdtempSync(join(tmpdir(), 'tidemark-url-match-'));
    agent = await startAgent({
      kubeconfig: env.kube.kubeconfigPath,
      cacheDir,
      port: 0,
      watchNamespace: namespace,
      syncQueueUrl: queue.url,
    });
    await eventually(async () => (await color()) === 'blue', 60_000, 'the first apply');
  });

  afterAll(async () => {
    await agent?.stop();
    await queue?.delete();
    cluster?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  it('applies a commit named by https://HOST/REPO for a Sync of http://HOST/REPO.git', async () => {
    const after = repo.commit({ 'app/settings.yaml': configMap(namespace, 'green') }, 'turn green');
    // The config repo's URL as the webhook or the image updater sends it: another scheme, no `.git`, a trailing slash.
    const written = `${repo.url.replace(/^http:/, 'https:').replace(/\.git$/, '')}/`;
    await new SyncQueue(queue.url).send({
      repo: written,
      branch: 'main',
      revision: after,
      pushedAt: new Date().toISOString(),
      deliveryId: `url-match-${after}`,
    });
    await eventually(async () => (await color()) === 'green', 60_000, 'the ConfigMap turning green');
    // Deleted once its reconcile finished (the ConfigMap may turn green a moment before).
    expect(await eventually(async () => (await queue.depth()) === 0, 30_000, 'the request leaving the queue')).toBe(
      true,
    );
  });
});
