/**
 * Push → applied latency over the outbound-only channel, on the local environment (`tidemark local up` first):
 * a commit pushed to the local git server, its signed GitHub push delivered to the webhook handler in process, the
 * SyncRequest on a moto SQS queue, `tidemark agent --sync-queue-url` (startAgent) long-polling it and applying the
 * commit to the local API server. The clock starts when `git push` returns (GitHub sends the webhook then) and stops
 * when the API server serves the new ConfigMap. The Sync polls hourly, so only the queue can bring the change.
 *
 * Baselines, in the same run: `kubectl apply --server-side` of the same manifest (the floor: applying without any
 * notification), and Argo CD's default 3-minute repository poll (a stated constant, not measured).
 *
 *   npx tsx bench/webhook-sync/run.ts [--pushes N]     (default 20; `run.ts N` works too)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parse } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { startAgent } from '../../agent/run-agent';
import type { KubeObject } from '../../core/sync/kube-object';
import { exportsFor } from '../../local/environment';
import { createScratchQueue, githubPush, lambdaContext, webhookDelivery } from '../../local/invoke';
import { readEnvironment } from '../../local/local-environment';
import { localGit, localGitAuthHeader } from '../../local/local-git';
import { reportFigures } from '../support/bench-report';

const { values: flags, positionals } = parseArgs({
  options: { pushes: { type: 'string' }, help: { type: 'boolean', default: false } },
  allowPositionals: true,
});
if (flags.help) {
  console.log('Usage: npx tsx bench/webhook-sync/run.ts [--pushes N]   (default 20; needs `tidemark local up`)');
  process.exit(0);
}
const pushes = Number(flags.pushes ?? positionals[0] ?? 20);
if (!Number.isInteger(pushes) || pushes < 1)
  throw new Error(`--pushes must be a whole number ≥ 1, but ${pushes} was given`);
const argoCdPollSeconds = 180;

const env = readEnvironment();
if (!env) {
  console.error('bench/webhook-sync: the local environment is not running. Start it with `tidemark local up`.');
  process.exit(1);
}
Object.assign(process.env, exportsFor(env), env.functionEnv, { POWERTOOLS_LOG_LEVEL: 'WARN' });

const suffix = randomBytes(3).toString('hex');
const namespace = `bench-webhook-${suffix}`;
const configMap = (color: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${namespace}\ndata:\n  color: ${color}\n`;
const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const auth = localGitAuthHeader(env.git);

// A repository of its own on the local git server, and a clone to commit from.
const repoName = `bench-webhook-${suffix}`;
const created = await fetch(`${env.git.url}/_admin/repos/${repoName}`, {
  method: 'POST',
  headers: { authorization: auth },
});
if (!created.ok) throw new Error(`creating ${repoName} on the local git server failed: ${created.status}`);
const repoUrl = `${env.git.url}/${repoName}.git`;
const work = mkdtempSync(join(tmpdir(), 'bench-webhook-'));
const git = localGit(env.git, work, { name: 'Bench', email: 'bench@localhost' });
const commit = (color: string) => {
  writeFileSync(join(work, 'clusters/dev/settings.yaml'), configMap(color));
  git('commit', '--quiet', '-am', `color ${color}`);
  git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  return git('rev-parse', 'HEAD');
};
git('init', '--quiet', '--initial-branch=main');
git('remote', 'add', 'origin', repoUrl);
execFileSync('mkdir', ['-p', join(work, 'clusters/dev')]);
writeFileSync(join(work, 'clusters/dev/settings.yaml'), configMap('start'));
git('add', '-A');
git('commit', '--quiet', '-m', 'start');
git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');

// The cluster side: namespace, CRD, credentials, and a Sync that polls only hourly.
await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } as KubeObject);
await cluster.apply(parse(readFileSync(join(import.meta.dirname, '../../agent/deploy/base/crd.yaml'), 'utf8')));
// A new CRD is served a moment after it is created; a Sync applied before that is an unknown kind.
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

// The AWS side: a sync queue, the webhook secret, and the handler configured for this repo.
const queue = await createScratchQueue(`bench-webhook-dev`);
const secret = randomBytes(20).toString('hex');
const secretName = `tidemark-bench/webhook-${suffix}`;
await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: secretName, SecretString: secret }));
process.env.TIDEMARK_CONFIG = JSON.stringify({
  configRepo: { provider: 'git', url: repoUrl, branch: 'main', authSecretName: 'unused' },
  clusters: [{ name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' }],
  images: { ecrRepositories: ['web'] },
  webhook: { secretName },
});
process.env.TIDEMARK_SYNC_QUEUE_URLS = JSON.stringify({ dev: queue.url });
const { handler } = await import('../../functions/webhook/handler');

const cacheDir = mkdtempSync(join(tmpdir(), 'bench-webhook-agent-'));
const agent = await startAgent({
  kubeconfig: env.kube.kubeconfigPath,
  cacheDir,
  port: 0,
  watchNamespace: namespace,
  syncQueueUrl: queue.url,
});

const colorNow = async () =>
  (
    (await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'settings' })) as {
      data?: Record<string, string>;
    }
  )?.data?.color;
async function until(what: string, done: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

try {
  await until('the first apply', async () => (await colorNow()) === 'start');
  const latencies: number[] = [];
  let before = git('rev-parse', 'HEAD');
  for (let i = 1; i <= pushes; i++) {
    const color = `push-${i}`;
    const after = commit(color);
    const pushed = performance.now();
    const payload = githubPush({ repoUrl, before, after, modified: ['clusters/dev/settings.yaml'] });
    const response = await handler(webhookDelivery({ event: 'push', payload, secret }), lambdaContext('webhook'));
    if (response.statusCode !== 200) throw new Error(`the webhook answered ${response.statusCode}: ${response.body}`);
    await until(`push ${i} applied`, async () => (await colorNow()) === color);
    latencies.push(performance.now() - pushed);
    before = after;
  }

  // Baseline in the same run: kubectl applying the same manifest server-side, with no Git or queue in between.
  const manifest = join(work, 'kubectl.yaml');
  const kubectl: number[] = [];
  for (let i = 1; i <= pushes; i++) {
    writeFileSync(manifest, configMap(`kubectl-${i}`));
    const start = performance.now();
    execFileSync('kubectl', ['apply', '--server-side', '--force-conflicts', '-f', manifest], {
      stdio: 'pipe',
      env: { ...process.env, KUBECONFIG: env.kube.kubeconfigPath },
    });
    kubectl.push(performance.now() - start);
  }

  const p = (xs: number[], q: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`push → applied over the sync queue, ${pushes} pushes:`);
  console.log(`  p50 ${ms(p(latencies, 0.5))}   p90 ${ms(p(latencies, 0.9))}   max ${ms(Math.max(...latencies))}`);
  console.log(`kubectl apply --server-side of the same ConfigMap, ${pushes} runs:`);
  console.log(`  p50 ${ms(p(kubectl, 0.5))}`);
  console.log('ratios (p50):');
  console.log(`  push→applied / kubectl apply           ${(p(latencies, 0.5) / p(kubectl, 0.5)).toFixed(2)}×`);
  console.log(
    `  Argo CD 3-min poll, expected wait (90 s) / push→applied   ${((argoCdPollSeconds * 500) / p(latencies, 0.5)).toFixed(0)}×`,
  );
  console.log(
    `  Argo CD 3-min poll, worst wait (180 s) / push→applied     ${((argoCdPollSeconds * 1000) / p(latencies, 0.5)).toFixed(0)}×`,
  );
  reportFigures('webhook-sync', [
    {
      figure: `git push → applied over the sync queue (p50 of ${pushes})`,
      value: `${ms(p(latencies, 0.5))} (${(p(latencies, 0.5) / p(kubectl, 0.5)).toFixed(2)}× a bare kubectl apply)`,
    },
    {
      figure: 'Argo CD 3-min poll, expected wait ÷ push → applied',
      value: `${((argoCdPollSeconds * 500) / p(latencies, 0.5)).toFixed(0)}×`,
    },
  ]);
} finally {
  await agent.stop();
  await queue.delete();
  await cluster.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
  cluster.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
}
