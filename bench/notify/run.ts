/**
 * Push → "deployed" message latency, on the local environment (`tidemark local up` first): a commit pushed to the local
 * git server, its signed GitHub push delivered to the webhook handler in process, the agent (startAgent, long-polling
 * the sync queue) applying it to the local API server and publishing `deployed` on its events queue (moto SQS FIFO),
 * the notifier's handler taking it as the Lambda event source mapping would (long-polling, in this process), and the
 * Slack receiver getting the message. The clock starts when `git push` returns and stops at the receiver's timestamp.
 * Each push changes one ConfigMap, healthy once applied, so the figure is the notification path, not a rollout.
 *
 * Baseline: Argo CD's notifications controller learns of a sync only after the application controller's 3-minute
 * repository poll (a stated constant, not measured here); Flux's notification-controller is not built locally.
 *
 *   npx tsx bench/notify/run.ts [--pushes N]     (default 20; `run.ts N` works too)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parse } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { startAgent } from '../../agent/run-agent';
import type { KubeObject } from '../../core/sync/kube-object';
import { exportsFor } from '../../local/environment';
import { createScratchQueue, githubPush, lambdaContext, runQueueOnce, webhookDelivery } from '../../local/invoke';
import { readEnvironment } from '../../local/local-environment';
import { createBenchRepo } from '../support/bench-repo';
import { reportFigures } from '../support/bench-report';

const { values: flags, positionals } = parseArgs({
  options: { pushes: { type: 'string' }, help: { type: 'boolean', default: false } },
  allowPositionals: true,
});
if (flags.help) {
  console.log('Usage: npx tsx bench/notify/run.ts [--pushes N]   (default 20; needs `tidemark local up`)');
  process.exit(0);
}
const pushes = Number(flags.pushes ?? positionals[0] ?? 20);
if (!Number.isInteger(pushes) || pushes < 1) {
  throw new Error(`--pushes must be a whole number ≥ 1, but ${pushes} was given`);
}
const argoCdPollSeconds = 180;
const targetMs = 3000;

const env = readEnvironment();
if (!env) {
  console.error('bench/notify: the local environment is not running. Start it with `tidemark local up`.');
  process.exit(1);
}
Object.assign(process.env, exportsFor(env), env.functionEnv, {
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
});

const suffix = randomBytes(3).toString('hex');
const namespace = `bench-notify-${suffix}`;
const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
const configMap = (color: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${namespace}\ndata:\n  color: ${color}\n`;

// A repository of its own on the local git server, and a clone to commit from.
const repo = await createBenchRepo(
  env.git,
  `bench-notify-${suffix}`,
  new Map([['clusters/dev/settings.yaml', configMap('start')]]),
);
const repoUrl = repo.url;
const commit = (color: string) =>
  repo.commit(new Map([['clusters/dev/settings.yaml', configMap(color)]]), `color ${color}`);

// The cluster side: namespace, CRD, credentials, and a Sync that polls only hourly: only the queue brings a push.
await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubeObject);
await cluster.apply(parse(readFileSync(join(import.meta.dirname, '../../agent/deploy/base/crd.yaml'), 'utf8')));
for (let served = false; !served; ) {
  cluster.mapper.reset();
  served = await cluster.list('tidemark.dev/v1alpha1', 'Sync', { namespace }).then(
    () => true,
    async () => {
      await new Promise((r) => setTimeout(r, 200));
      return false;
    },
  );
}
const b64 = (s: string) => Buffer.from(s).toString('base64');
await cluster.apply({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'git', namespace },
  data: { username: b64(env.git.username), password: b64(env.git.password) },
} as KubeObject);
await cluster.apply({
  apiVersion: 'tidemark.dev/v1alpha1',
  kind: 'Sync',
  metadata: { name: 'dev', namespace },
  spec: { url: repoUrl, branch: 'main', path: 'clusters/dev', interval: '1h', secretRef: { name: 'git' } },
} as KubeObject);

// The AWS side: sync, events and flush queues of this run's own, the webhook secret, a Slack webhook path of its own.
const syncQueue = await createScratchQueue('bench-notify-sync');
const eventsQueue = await createScratchQueue('bench-notify-events', { fifo: true });
const flushQueue = await createScratchQueue('bench-notify-flush');
const secrets = new SecretsManagerClient({});
const webhookSecret = randomBytes(20).toString('hex');
const webhookSecretName = `tidemark-bench/notify-webhook-${suffix}`;
await secrets.send(new CreateSecretCommand({ Name: webhookSecretName, SecretString: webhookSecret }));
const slackPath = `/services/TBENCH/notify/${suffix}`;
const slackSecretName = `tidemark-bench/notify-slack-${suffix}`;
await secrets.send(
  new CreateSecretCommand({ Name: slackSecretName, SecretString: `${env.slack.controlUrl}${slackPath}` }),
);
const clusterName = `bench-${suffix}`;
process.env.TIDEMARK_CONFIG = JSON.stringify({
  configRepo: { provider: 'git', url: repoUrl, branch: 'main', authSecretName: 'unused' },
  clusters: [{ name: clusterName, eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' }],
  images: { ecrRepositories: ['web'] },
  webhook: { secretName: webhookSecretName },
  notifications: { routes: [{ channels: [{ slack: slackSecretName }] }], eventBridge: false },
});
process.env.TIDEMARK_SYNC_QUEUE_URLS = JSON.stringify({ [clusterName]: syncQueue.url });
process.env.TIDEMARK_FLUSH_QUEUE_URL = flushQueue.url;
const webhook = (await import('../../functions/webhook/handler')).handler;
const notifier = (await import('../../functions/notifier/handler')).handler as (
  e: SQSEvent,
  c: Context,
) => Promise<SQSBatchResponse>;

const cacheDir = mkdtempSync(join(tmpdir(), 'bench-notify-agent-'));
const agent = await startAgent({
  kubeconfig: env.kube.kubeconfigPath,
  cacheDir,
  port: 0,
  watchNamespace: namespace,
  syncQueueUrl: syncQueue.url,
  events: { queueUrl: eventsQueue.url, cluster: clusterName },
});

// The notifier's event source mapping: long-polls the events queue and invokes the handler with each batch.
let pumping = true;
const pump = (async () => {
  while (pumping) {
    await runQueueOnce({ queueUrl: eventsQueue.url, handler: notifier, functionName: 'notifier', waitTimeSeconds: 1 });
  }
})();

const slack = async () =>
  (await (await fetch(`${env.slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`)).json()) as {
    receivedAt: string;
    body: { text: string };
  }[];
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const deployedMessage = (sha: string) => async () =>
  (await slack()).find((m) => m.body.text.startsWith('🚀') && m.body.text.includes(sha.slice(0, 7)));
const colorNow = async () =>
  (
    (await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' })) as {
      data?: { color?: string };
    }
  )?.data?.color;

try {
  await until('the first deploy message', deployedMessage(repo.head));
  const notified: number[] = [];
  const applied: number[] = [];
  let before = repo.head;
  for (let i = 1; i <= pushes; i++) {
    const color = `push-${i}`;
    const after = commit(color);
    const pushed = Date.now();
    const payload = githubPush({ repoUrl, before, after, modified: ['clusters/dev/settings.yaml'] });
    const answer = await webhook(
      webhookDelivery({ event: 'push', payload, secret: webhookSecret }),
      lambdaContext('webhook'),
    );
    if (answer.statusCode !== 200) throw new Error(`the webhook answered ${answer.statusCode}: ${answer.body}`);
    await until(`push ${i} applied`, async () => ((await colorNow()) === color ? true : undefined));
    applied.push(Date.now() - pushed);
    const message = await until(`push ${i} announced`, deployedMessage(after));
    notified.push(Date.parse(message.receivedAt) - pushed);
    before = after;
  }
  const sent = (await slack()).filter((m) => m.body.text.startsWith('🚀')).length;

  const p = (xs: number[], q: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const p50 = p(notified, 0.5);
  console.log(`git push → "deployed" on Slack, ${pushes} pushes:`);
  console.log(
    `  p50 ${ms(p50)}   p95 ${ms(p(notified, 0.95))}   max ${ms(Math.max(...notified))}   (target p50 ≤ ${ms(targetMs)})`,
  );
  console.log(
    `  of which push → applied: p50 ${ms(p(applied, 0.5))}; applied → message: p50 ${ms(p50 - p(applied, 0.5))}`,
  );
  console.log(`  "deployed" messages: ${sent} for ${pushes + 1} revisions (one each)`);
  console.log('ratios (p50):');
  console.log(
    `  Argo CD 3-min poll, expected wait (90 s) / push→message   ${((argoCdPollSeconds * 500) / p50).toFixed(0)}×`,
  );
  console.log(
    `  Argo CD 3-min poll, worst wait (180 s) / push→message     ${((argoCdPollSeconds * 1000) / p50).toFixed(0)}×`,
  );
  reportFigures('notify', [
    {
      figure: `git push → "deployed" on Slack (p50 of ${pushes})`,
      value: `${ms(p50)} (p95 ${ms(p(notified, 0.95))})`,
      target: `≤ ${ms(targetMs)}`,
      met: p50 <= targetMs,
    },
    {
      figure: 'Argo CD 3-min poll, expected wait ÷ push → "deployed"',
      value: `${((argoCdPollSeconds * 500) / p50).toFixed(0)}×`,
    },
    {
      figure: '"deployed" messages per revision',
      value: `${(sent / (pushes + 1)).toFixed(2)}`,
      target: '1',
      met: sent === pushes + 1,
    },
  ]);
} finally {
  pumping = false;
  await pump;
  await agent.stop();
  await Promise.all([syncQueue.delete(), eventsQueue.delete(), flushQueue.delete()]).catch(() => undefined);
  await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
  cluster.close();
  repo.remove();
  rmSync(cacheDir, { recursive: true, force: true });
}
