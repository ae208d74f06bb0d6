/**
 * Image push → running rollout, end to end on the local environment, `--pushes` rounds in a row (default 20), each
 * round pushing `--images` images at once (default 1; the ten-times size is 100 rounds of 5): manifests put into
 * (moto) ECR, the documented `ECR Image Action` events through the image-event FIFO queue to the image-updater
 * handler (in process), its commits on the local git server, its sync requests on the cluster's queue, the real agent
 * (a separate process, `tidemark agent --sync-queue-url`) applying the commits to the real API server.
 *
 * Printed: p50/p95/max of push → applied (the Deployment carries the tag and the Sync records the revision) and of
 * push → Ready (every object healthy: the new pods ran to Ready on kwok's node), over every image of every round;
 * images lost (not applied within a minute) and commits per change (each change must be in exactly one commit). The
 * comparison is with the stated default intervals of the polling tools, not a measurement of them (neither runs
 * here): Argo CD Image Updater checks registries every 2 minutes and Argo CD polls Git every 3 minutes.
 *
 *   npx tsx bench/e2e/run.ts [--pushes N] [--images N]     (`run.ts N` works too)
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  APP_NAMESPACE,
  type DeploymentSpec,
  prepare,
  ready,
  registerAgent,
  syncStatus,
  waitFor,
} from '../../local/demo/run-demo';
import { ecrImageAction, runQueueOnce } from '../../local/invoke';
import { readEnvironment, up } from '../../local/local-environment';
import { localGit } from '../../local/local-git';
import { stopProcess } from '../../local/processes';
import { reportFigures } from '../support/bench-report';

const { values: flags, positionals } = parseArgs({
  options: { pushes: { type: 'string' }, images: { type: 'string' }, help: { type: 'boolean', default: false } },
  allowPositionals: true,
});
if (flags.help) {
  console.log('Usage: npx tsx bench/e2e/run.ts [--pushes N] [--images N]   (default 20 rounds of 1 image)');
  process.exit(0);
}
const whole = (name: string, raw: string | undefined, fallback: number) => {
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, but ${raw} was given`);
  return n;
};
const pushes = whole('pushes', flags.pushes ?? positionals[0], 20);
const imageCount = whole('images', flags.images, 1);
const say = (line: string) => console.error(line);
const wasRunning = readEnvironment() !== undefined;
const env = await up(say);
const demo = await prepare(env, say);
const sqs = new SQSClient({});
const ecr = new ECRClient({});
const applied: number[] = [];
const readyAfter: number[] = [];
let lost = 0;
const changesPerRound: string[][] = [];
const roundHeads: string[] = [];

/** The images of a round: the demo's `web`, and `e2e-N` Deployments added to the demo's folder for more. */
const images = Array.from({ length: imageCount }, (_, i) => (i === 0 ? 'web' : `e2e-${i + 1}`));
const deploymentFile = (image: string) =>
  image === 'web' ? 'clusters/dev/web/deployment.yaml' : `clusters/dev/${image}/deployment.yaml`;

try {
  await waitFor(say, 'the first apply', 90_000, async () => {
    const s = await syncStatus(demo.cluster);
    return s?.lastAppliedRevision === demo.initialRevision && ready(s) ? s : undefined;
  });
  if (imageCount > 1) await addImages(images.slice(1));
  const imageUpdater = await demo.handler<(e: SQSEvent, c: Context) => Promise<SQSBatchResponse>>('image-updater');
  roundHeads.push(demo.git.head());
  for (let i = 0; i < pushes; i++) {
    const tag = `1.${i + 2}.0`;
    const started = performance.now();
    // CI pushes every image of the round at once.
    await Promise.all(
      images.map(async (image) => {
        const digest = await pushImage(image, tag);
        const event = ecrImageAction({ repositoryName: image, tag, digest });
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: env.resources.imageEventsQueueUrl,
            MessageBody: JSON.stringify(event),
            MessageGroupId: demo.repoUrl,
            MessageDeduplicationId: event.id,
          }),
        );
      }),
    );
    // The event source mapping: batches until every event of the round has been handled.
    for (let handled = 0; handled < images.length; ) {
      const run = await runQueueOnce({ queueUrl: env.resources.imageEventsQueueUrl, handler: imageUpdater });
      if (run.failed.length > 0) throw new Error(`the image updater failed on ${tag}: ${String(run.error)}`);
      handled += run.deleted.length;
    }
    const commit = demo.git.head();
    roundHeads.push(commit);
    const pending = new Set(images);
    await Promise.all(
      images.map(async (image) => {
        try {
          await waitFor(say, `${image}:${tag} to be applied`, 60_000, async () => {
            const d = await demo.cluster.get({
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              namespace: APP_NAMESPACE,
              name: image,
            });
            const current = (d?.spec as DeploymentSpec | undefined)?.template.spec.containers[0]?.image ?? '';
            const s = await syncStatus(demo.cluster);
            return current.endsWith(`:${tag}`) && s?.lastAppliedRevision === commit ? true : undefined;
          });
          applied.push(performance.now() - started);
          pending.delete(image);
        } catch {
          lost++;
        }
      }),
    );
    await waitFor(say, `the Sync to be Ready at ${tag}`, 60_000, async () => {
      const s = await syncStatus(demo.cluster);
      return s?.lastAppliedRevision === commit && ready(s) ? true : undefined;
    });
    const readyMs = performance.now() - started;
    for (let k = 0; k < images.length - pending.size; k++) readyAfter.push(readyMs);
    changesPerRound.push(images.map(deploymentFile));
    say(
      `  round ${String(i + 1).padStart(3)}: ${images.length} × :${tag} applied ${ms(Math.max(...applied.slice(-images.length)))}, Ready ${ms(readyMs)}${pending.size ? `, LOST ${[...pending].join(' ')}` : ''}`,
    );
  }
} finally {
  await stopProcess(demo.agent, 'cli/bin.js');
  registerAgent(env, undefined);
  if (imageCount > 1) {
    // The added images are not in the example repo the next demo seeds: without this, that demo's Sync would find
    // them in its inventory and refuse to prune that large a share.
    for (const name of images.slice(1))
      await demo.cluster.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: APP_NAMESPACE, name });
    await demo.cluster.delete({
      apiVersion: 'tidemark.dev/v1alpha1',
      kind: 'Sync',
      namespace: 'tidemark-demo',
      name: 'dev',
    });
  }
  if (!wasRunning) {
    const { down } = await import('../../local/local-environment');
    await down(env);
  }
}

// Each change (an image's file in a round) must be in exactly one commit of that round: none lost, none twice.
const commitsPerChange = countCommitsPerChange();
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
const argoExpectedMs = (120 / 2 + 180 / 2) * 1000;
const samples = pushes * images.length;
console.log(
  `\nbench/e2e: ${pushes} rounds of ${images.length} image push${images.length > 1 ? 'es at once' : ''}, ECR push → cluster (local environment)`,
);
console.log('                      p50        p95        max');
for (const [name, xs] of [
  ['push → applied', applied],
  ['push → Ready', readyAfter],
] as const) {
  console.log(
    `${name.padEnd(20)} ${ms(q(xs, 0.5)).padStart(8)}   ${ms(q(xs, 0.95)).padStart(8)}   ${ms(Math.max(...xs)).padStart(8)}`,
  );
}
console.log(
  `\nTarget p50 ≤ 3 s: push → applied ${q(applied, 0.5) <= 3000 ? 'met' : 'NOT met'} (${ms(q(applied, 0.5))}); p95 ${ms(q(applied, 0.95))} (target ≤ 3 s at 100 × 5).` +
    `\nLost: ${lost} of ${samples}. Commits per change: ${commitsPerChange.min === commitsPerChange.max ? commitsPerChange.min : `${commitsPerChange.min}–${commitsPerChange.max}`} (${commitsPerChange.commits} commits for ${samples} changes).` +
    `\nArgo CD Image Updater (2 min) + Argo CD (3 min poll), stated defaults: ≈${argoExpectedMs / 1000} s on average, 300 s at worst` +
    ` → ${(argoExpectedMs / q(applied, 0.5)).toFixed(0)}× the p50 here.`,
);
reportFigures('e2e', [
  {
    figure: `ECR push → applied, p50 of ${samples} (${pushes} × ${images.length})`,
    value: ms(q(applied, 0.5)),
    target: '≤ 3 s',
    met: q(applied, 0.5) <= 3000,
  },
  {
    figure: `ECR push → applied, p95 of ${samples}`,
    value: ms(q(applied, 0.95)),
    target: '≤ 3 s',
    met: q(applied, 0.95) <= 3000,
  },
  { figure: 'ECR push → Ready, p50', value: ms(q(readyAfter, 0.5)) },
  { figure: 'pushes lost', value: `${lost} of ${samples}`, target: '0', met: lost === 0 },
  {
    figure: 'commits per change',
    value: `${commitsPerChange.max} (${commitsPerChange.commits} commits for ${samples} changes)`,
    target: '1',
    met: commitsPerChange.min === 1 && commitsPerChange.max === 1,
  },
]);

function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`;
}

/** A distinct manifest per push, so the digest (what the updater can pin) is new each time. */
async function pushImage(repositoryName: string, tag: string): Promise<string> {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1469,
      digest: `sha256:${createHash('sha256').update(randomUUID()).digest('hex')}`,
    },
    layers: [],
  });
  const out = await ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest, imageTag: tag }));
  return out.image!.imageId!.imageDigest!;
}

/**
 * More images for the demo's folder: an ECR repository, a Deployment next to `web` with a setter comment, and an image
 * policy each, in one commit the agent applies before the clock starts; the image updater is told of the repositories.
 */
async function addImages(names: string[]): Promise<void> {
  const registry = `${env.aws.accountId}.dkr.ecr.${env.aws.region}.amazonaws.com`;
  const work = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  try {
    const git = localGit(env.git, work, { name: 'Bench', email: 'bench@localhost' });
    git('clone', '--quiet', demo.repoUrl, '.');
    const policies: string[] = [];
    for (const name of names) {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: name })).catch((e: Error) => {
        if (e.name !== 'RepositoryAlreadyExistsException') throw e;
      });
      mkdirSync(join(work, 'clusters/dev', name), { recursive: true });
      const manifest = [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        `  name: ${name}`,
        `  namespace: ${APP_NAMESPACE}`,
        'spec:',
        '  replicas: 1',
        '  selector:',
        `    matchLabels: { app: ${name} }`,
        '  template:',
        '    metadata:',
        `      labels: { app: ${name} }`,
        '    spec:',
        '      containers:',
        `        - name: ${name}`,
        `          image: ${registry}/${name}:1.0.0 # {"tidemark": "${name}"}`,
        '',
      ].join('\n');
      writeFileSync(join(work, deploymentFile(name)), manifest);
      policies.push(
        `  - name: ${name}\n    repository: ${registry}/${name}\n    strategy:\n      semver: ">=1.0.0 <2.0.0"\n    update:\n      paths: [clusters/dev/${name}]\n    writeBack:\n      push: { branch: main }\n`,
      );
    }
    const policyFile = join(work, '.tidemark/images.yaml');
    writeFileSync(
      policyFile,
      readFileSync(policyFile, 'utf8').replace(/^policies:\n/m, `policies:\n${policies.join('')}`),
    );
    git('add', '-A');
    git('commit', '--quiet', '-m', `bench: ${names.length} more images`);
    git('push', '--quiet', 'origin', 'HEAD:main');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const config = JSON.parse(process.env.TIDEMARK_CONFIG!);
  config.images.ecrRepositories = [...new Set([...config.images.ecrRepositories, ...names])];
  process.env.TIDEMARK_CONFIG = JSON.stringify(config);
  const head = demo.git.head();
  await demo.cluster.mergePatch(
    { apiVersion: 'tidemark.dev/v1alpha1', kind: 'Sync', namespace: 'tidemark-demo', name: 'dev' },
    { metadata: { annotations: { 'tidemark.dev/requested-at': new Date().toISOString() } } },
  );
  await waitFor(say, `the ${names.length} added images to be applied`, 90_000, async () => {
    const s = await syncStatus(demo.cluster);
    return s?.lastAppliedRevision === head && ready(s) ? s : undefined;
  });
}

/** How many commits of its round each change appears in (min and max over all changes), and the commits made. */
function countCommitsPerChange(): { min: number; max: number; commits: number } {
  const mirror = mkdtempSync(join(tmpdir(), 'bench-e2e-log-'));
  try {
    const git = localGit(env.git, mirror);
    git('clone', '--quiet', '--bare', demo.repoUrl, '.');
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    let commits = 0;
    for (let r = 0; r < changesPerRound.length; r++) {
      const log = git('log', '--format=tformat:COMMIT', '--name-only', `${roundHeads[r]}..${roundHeads[r + 1]}`);
      const perCommit = log
        .split('COMMIT')
        .map((chunk) => chunk.split('\n').filter(Boolean))
        .filter((files) => files.length > 0);
      commits += perCommit.length;
      for (const file of changesPerRound[r]!) {
        const n = perCommit.filter((files) => files.includes(file)).length;
        min = Math.min(min, n);
        max = Math.max(max, n);
      }
    }
    return { min: Number.isFinite(min) ? min : 0, max, commits };
  } finally {
    rmSync(mirror, { recursive: true, force: true });
  }
}
