import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { messageGroupOf } from '../../adapters/events/events-queue';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { type RunningAgent, startAgent } from '../../agent/run-agent';
import { type RunningUi, startUi } from '../../cli/ui/server';
import { UiState } from '../../cli/ui/ui-state';
import type { DeploymentEvent } from '../../core/notify/deployment-event';
import { syncFolder } from '../../engine/sync/sync-folder';
import { testChannels } from '../../functions/notifier/notifier-test-channels';
import { createScratchQueue, drainQueue, type ScratchQueue } from '../../local/invoke';
import { createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../support/agent';
import { uniqueNamespace } from '../support/cluster';
import { openScanner, type ScannerHarness } from '../support/drift-scanner';
import { createGitRepo, type TestGitRepo } from '../support/git-repo';

/**
 * `tidemark ui` served against the local environment with real Syncs in each condition, made by the real agent from a
 * real git repository: `ready` (a ConfigMap and a Secret holding the canary), `stalled` (a file that is not YAML:
 * RenderFailed), `drifted` (selfHeal off, then a hand edit). The agent's deployment events go through the notifier's
 * handler into the State table, and a drift scan of a hand-edited ConfigMap and Secret (the canary again, live) leaves
 * its findings there: everything the pages read, written by the parts that write it in production.
 */
export interface UiFixture {
  ns: string;
  cluster: ClusterClient;
  /** Tidemark's name of the cluster: the agent's events and the drift scan both use it. */
  clusterName: string;
  canary: string;
  /** The canary as it is, base64 (as in a Secret's data) and inside a basic-auth header. */
  hitsIn(text: string): number;
  repo: TestGitRepo;
  ui: RunningUi;
  /** The agent's events so far, through the notifier's handler. */
  notify(): Promise<void>;
  close(): Promise<void>;
}

const yaml = {
  configMap: (ns: string, name: string, data: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: ${ns} }\ndata: { ${data} }\n`,
  secret: (ns: string, name: string, line: string) =>
    `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}, namespace: ${ns} }\nstringData:\n  ${line}\n`,
};

export async function openUiFixture(): Promise<UiFixture> {
  const canary = `cnry${randomBytes(8).toString('hex')}`;
  const forms = [canary, Buffer.from(canary).toString('base64').replace(/=+$/, '')];
  const hitsIn = (text: string) => forms.reduce((n, form) => n + text.split(form).length - 1, 0);
  const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
  await installSyncCrd(cluster);
  const ns = await uniqueNamespace('ui');

  // The scanner first: its handler reads its configuration on import (test/support/drift-scanner.ts).
  const scanner: ScannerHarness = await openScanner({
    files: {
      'clusters/x/settings.yaml': yaml.configMap(ns, 'scan-settings', 'mode: git'),
      'clusters/x/db.yaml': yaml.secret(ns, 'scan-db', 'password: from-git'),
    },
    path: 'clusters/x',
    prefix: 'ui',
  });
  const clusterName = scanner.cluster;

  const repo = await createGitRepo('ui-app', {
    'ready/settings.yaml': yaml.configMap(ns, 'settings', 'color: blue'),
    'ready/db.yaml': yaml.secret(ns, 'db', `password: ${canary}`),
    'broken/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: broken\n',
    'drifted/web.yaml': yaml.configMap(ns, 'web', 'replicas: "2"'),
  });
  const events: ScratchQueue = await createScratchQueue('ui-events', { fifo: true });
  const flush: ScratchQueue = await createScratchQueue('ui-flush');
  const channels = await testChannels(clusterName);
  const agent: RunningAgent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'ui-agent-')),
    port: 0,
    watchNamespace: ns,
    events: { queueUrl: events.url, cluster: clusterName },
  });
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: { provider: 'git', url: repo.url, authSecretName: 'tidemark/config-repo' },
    clusters: [{ name: clusterName, eksClusterName: 'local', region: 'us-east-1', path: 'ready' }],
    images: { ecrRepositories: ['web'] },
    notifications: { foldSeconds: 1, routes: [{ channels: ['sns', { slack: channels.slackSecret }] }] },
  });
  process.env.TIDEMARK_FLUSH_QUEUE_URL = flush.url;
  const { handler: notifier } = (await import('../../functions/notifier/handler')) as {
    handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  };

  const head = repo.head();
  await createSync(cluster, ns, 'ready', { url: repo.url, path: 'ready' });
  await createSync(cluster, ns, 'stalled', { url: repo.url, path: 'broken' });
  await createSync(cluster, ns, 'drifted', { url: repo.url, path: 'drifted', selfHeal: false });
  await readyAt(cluster, ns, 'ready', head, 90_000);
  await readyAt(cluster, ns, 'drifted', head, 90_000);
  await eventually(
    async () =>
      (await syncStatus(cluster, ns, 'stalled')).conditions?.some((c) => c.type === 'Stalled' && c.status === 'True'),
    90_000,
    'the stalled Sync',
  );
  execFileSync('kubectl', ['-n', ns, 'patch', 'configmap', 'web', '-p', '{"data":{"replicas":"5"}}']);
  await eventually(
    async () => ((await syncStatus(cluster, ns, 'drifted')).driftedObjects ?? 0) > 0,
    60_000,
    'the hand edit counted as drift',
  );

  // The drift scan: Git's ConfigMap and Secret applied as the agent would, then both edited by hand.
  const dir = mkdtempSync(join(tmpdir(), 'ui-scan-'));
  writeFileSync(join(dir, 'settings.yaml'), yaml.configMap(ns, 'scan-settings', 'mode: git'));
  writeFileSync(join(dir, 'db.yaml'), yaml.secret(ns, 'scan-db', 'password: from-git'));
  await syncFolder(cluster, {
    sync: { namespace: 'tidemark-system', name: clusterName },
    dir,
    revision: scanner.repo.head(),
    prune: false,
    maxPruneShare: 0,
  });
  execFileSync('kubectl', ['-n', ns, 'patch', 'configmap', 'scan-settings', '-p', '{"data":{"mode":"by-hand"}}']);
  execFileSync('kubectl', [
    '-n',
    ns,
    'patch',
    'secret',
    'scan-db',
    '-p',
    JSON.stringify({ stringData: { password: `${canary}-live` } }),
  ]);
  const scan = await scanner.run();
  if (scan.outcome.kind !== 'scanned') throw new Error(`the drift scan failed: ${JSON.stringify(scan.outcome)}`);

  const sqs = new SQSClient({});
  const published: DeploymentEvent[] = [];
  const notify = async () => {
    for (;;) {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: events.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (!r.Messages?.length) break;
      published.push(...r.Messages.map((m) => JSON.parse(m.Body!) as DeploymentEvent));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: events.url,
          Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    const batch = published.splice(0);
    if (batch.length === 0) return;
    const queue = await createScratchQueue('ui-notifier', { fifo: true });
    for (let i = 0; i < batch.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: batch.slice(i, i + 10).map((e, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify(e),
            MessageGroupId: messageGroupOf(e),
            MessageDeduplicationId: e.id,
          })),
        }),
      );
    }
    await drainQueue({ queueUrl: queue.url, handler: notifier, functionName: 'notifier', maxBatches: 20 });
    await new Promise((r) => setTimeout(r, 1500)); // the fold time
    await drainQueue({ queueUrl: flush.url, handler: notifier, functionName: 'notifier', maxBatches: 5 });
  };
  const state = new UiState(process.env.TIDEMARK_TABLE_NAME);
  await eventually(
    async () => {
      await notify();
      const history = async (name: string) => (await state.history(clusterName, { namespace: ns, name }))?.state;
      return (
        (await history('ready'))?.deployed !== undefined &&
        (await history('stalled'))?.failure?.reason === 'RenderFailed'
      );
    },
    60_000,
    "the notifier's record of the deployed and failed Syncs",
  );

  const ui = await startUi({
    port: 0,
    cluster: clusterName,
    table: process.env.TIDEMARK_TABLE_NAME,
    namespace: ns,
    ...(process.env.KUBECONFIG ? { kubeconfig: process.env.KUBECONFIG } : {}),
  });
  return {
    ns,
    cluster,
    clusterName,
    canary,
    hitsIn,
    repo,
    ui,
    notify,
    async close() {
      await ui.close();
      await agent.stop();
      cluster.close();
    },
  };
}
