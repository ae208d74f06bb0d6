/**
 * Dev deployed → prod commit, after the soak, on the local environment (`tidemark local up` first): for each candidate
 * an image is pushed to moto ECR, its `Tidemark Deployment` event ("deployed" in dev, with the digest) is put on moto's
 * default EventBridge bus, a rule delivers it to a queue of this run, and the promoter's handler (loaded in process,
 * as Lambda would) takes it from there as the event source mapping would (long-polling). The soak is a few seconds;
 * the promoter asks its own queue for a delayed wake-up at the soak's end and commits prod on the local git server.
 * The figure is the time from the soak's end (the last gate opening) to the commit on the git server.
 *
 * Baseline (a stated constant, not measured): Kargo discovers new images by polling (a Warehouse's default interval
 * is 5 minutes) and Argo's GitOps Promoter reacts to commit statuses on its own reconcile; neither is built locally.
 *
 *   npx tsx bench/promote/run.ts [--candidates N] [--soak SECONDS]     (default 10 candidates, 3 s soak)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeImages } from '../../adapters/ecr/ecr-images';
import { deploymentDetailType, deploymentEventSource } from '../../adapters/events/eventbridge-deployments';
import { deploymentEvent } from '../../core/notify/deployment-event';
import { exportsFor } from '../../local/environment';
import { createScratchQueue, loadHandler, runQueueOnce } from '../../local/invoke';
import { localDeploymentConfig } from '../../local/local-deployment';
import { readEnvironment } from '../../local/local-environment';
import { localGitAuthHeader } from '../../local/local-git';
import { createBenchRepo } from '../support/bench-repo';
import { reportFigures } from '../support/bench-report';

const { values: flags } = parseArgs({
  options: { candidates: { type: 'string' }, soak: { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (flags.help) {
  console.log('Usage: npx tsx bench/promote/run.ts [--candidates N] [--soak SECONDS]   (needs `tidemark local up`)');
  process.exit(0);
}
const candidates = Number(flags.candidates ?? 10);
const soakSeconds = Number(flags.soak ?? 3);
if (!Number.isInteger(candidates) || candidates < 1) throw new Error(`--candidates must be ≥ 1, not ${candidates}`);
if (!Number.isInteger(soakSeconds) || soakSeconds < 1)
  throw new Error(`--soak must be whole seconds ≥ 1, not ${soakSeconds}`);
const targetMs = 2000;
const kargoPollSeconds = 300;

const env = readEnvironment();
if (!env) {
  console.error('bench/promote: the local environment is not running. Start it with `tidemark local up`.');
  process.exit(1);
}
const suffix = randomBytes(3).toString('hex');
const dev = `dev-${suffix}`;
const prod = `prod-${suffix}`;
Object.assign(process.env, exportsFor(env), env.functionEnv, {
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
});

// ECR: a repository of this run with one image per candidate (moto derives a digest from the layers' digests).
const ecr = new ECRClient({});
const repositoryName = `bench-promote-${suffix}`;
const uri = (await ecr.send(new CreateRepositoryCommand({ repositoryName }))).repository!.repositoryUri!;
const blob = (mediaType: string, n: string) => ({ mediaType, digest: `sha256:${n.padStart(64, '0')}`, size: 2 });
for (let i = 1; i <= candidates; i++) {
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: blob('application/vnd.oci.image.config.v1+json', `${i}`),
    layers: [blob('application/vnd.oci.image.layer.v1.tar+gzip', `f${i}`)],
  };
  await ecr.send(
    new PutImageCommand({ repositoryName, imageManifest: JSON.stringify(manifest), imageTag: `1.${i}.0` }),
  );
}
const digests = new Map((await describeImages(uri)).map((i) => [i.tag, i.digest!]));

// The config repo: dev pins digests, prod is moved only by promotion after the soak.
const deployment = (image: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ${image}\n`;
const repo = await createBenchRepo(
  env.git,
  `bench-promote-${suffix}`,
  new Map([
    [
      '.tidemark/images.yaml',
      `policies:\n  - { name: web, repository: ${uri}, strategy: { semver: ">=1.0.0" }, digest: pin, update: { paths: [clusters/dev] } }\n  - { name: web-prod, repository: ${uri}, strategy: { semver: ">=1.0.0" }, update: { paths: [clusters/prod] } }\n`,
    ],
    [
      '.tidemark/promotions.yaml',
      `pipelines:\n  - name: web-${suffix}\n    stages:\n      - { name: dev, cluster: ${dev} }\n      - { name: prod, cluster: ${prod}, policies: [web-prod], gates: { soak: ${soakSeconds}s } }\n`,
    ],
    ['clusters/dev/web.yaml', deployment(`${uri}:1.0.0`)],
    ['clusters/prod/web.yaml', deployment(`${uri}:1.0.0`)],
  ]),
);

// The promoter's queue of this run, fed by a rule for this run's dev cluster (other runs' events stay out).
const queue = await createScratchQueue('bench-promote', { visibilityTimeoutSeconds: 60 });
const events = new EventBridgeClient({});
const rule = `bench-promote-${suffix}`;
await events.send(
  new PutRuleCommand({
    Name: rule,
    EventPattern: JSON.stringify({
      source: [deploymentEventSource],
      'detail-type': [deploymentDetailType],
      detail: { cluster: [dev] },
    }),
  }),
);
await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'promoter', Arn: queue.arn }] }));
Object.assign(process.env, {
  TIDEMARK_CONFIG: JSON.stringify(localDeploymentConfig(repo.url, env.resources.secrets)),
  TIDEMARK_PROMOTER_QUEUE_URL: queue.url,
  TIDEMARK_SYNC_QUEUE_URLS: '{}',
});
const { handler } = await loadHandler<(e: SQSEvent, c: Context) => Promise<SQSBatchResponse>>(
  'promoter',
  join(env.stateDir, 'logs'),
);

let pumping = true;
const pump = (async () => {
  while (pumping) await runQueueOnce({ queueUrl: queue.url, handler, functionName: 'promoter', waitTimeSeconds: 1 });
})();

const git = (...args: string[]) =>
  execFileSync('git', ['-c', `http.extraHeader=Authorization: ${localGitAuthHeader(env.git)}`, ...args], {
    cwd: repo.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
// Only the promoter writes to this repo during the run: a new head is its commit (checked for the digest after).
const headOf = () => git('ls-remote', repo.url, 'refs/heads/main').split(/\s/)[0]!;

try {
  const afterGate: number[] = [];
  for (let i = 1; i <= candidates; i++) {
    const tag = `1.${i}.0`;
    const before = headOf();
    const at = new Date();
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: deploymentEventSource,
            DetailType: deploymentDetailType,
            Detail: JSON.stringify(
              deploymentEvent({
                at: at.toISOString(),
                cluster: dev,
                sync: { namespace: 'tidemark-system', name: 'dev' },
                repo: repo.url,
                revision: randomBytes(20).toString('hex'),
                kind: 'deployed',
                reason: 'ReconciliationSucceeded',
                images: [{ name: `${uri}:${tag}`, digest: digests.get(tag)! }],
              }),
            ),
          },
        ],
      }),
    );
    const gateOpens = at.getTime() + soakSeconds * 1000;
    const deadline = gateOpens + 60_000;
    for (;;) {
      if (headOf() !== before) break;
      if (Date.now() > deadline) throw new Error(`candidate ${tag} was not promoted within 60 s of its soak's end`);
      await new Promise((r) => setTimeout(r, 20));
    }
    afterGate.push(Date.now() - gateOpens);
    git('pull', '--quiet', 'origin', 'main');
    const prodText = git('show', 'HEAD:clusters/prod/web.yaml');
    if (!prodText.includes(`${uri}:${tag}@${digests.get(tag)}`))
      throw new Error(`prod does not run ${tag} after its commit`);
  }
  const sorted = [...afterGate].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`dev "deployed" → prod commit, ${candidates} candidates, soak ${soakSeconds} s:`);
  console.log(
    `  after the soak ended: p50 ${ms(p(0.5))}   p95 ${ms(p(0.95))}   max ${ms(sorted.at(-1)!)}   (target p50 ≤ ${ms(targetMs)})`,
  );
  console.log('ratios (p50):');
  console.log(
    `  Kargo 5-min Warehouse poll, expected wait (150 s) / after-soak latency   ${((kargoPollSeconds * 500) / p(0.5)).toFixed(0)}×`,
  );
  reportFigures('promote', [
    {
      figure: `dev deployed → prod commit after the soak (p50 of ${candidates})`,
      value: `${ms(p(0.5))} (p95 ${ms(p(0.95))})`,
      target: `≤ ${ms(targetMs)}`,
      met: p(0.5) <= targetMs,
    },
    {
      figure: 'Kargo 5-min poll, expected wait ÷ after-soak latency',
      value: `${((kargoPollSeconds * 500) / p(0.5)).toFixed(0)}×`,
    },
  ]);
} finally {
  pumping = false;
  await pump;
  await queue.delete().catch(() => undefined);
  repo.remove();
}
