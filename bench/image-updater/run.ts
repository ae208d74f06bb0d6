/**
 * ECR event → pushed commit latency of the image updater, on the local environment (`tidemark local up` first), for a
 * config repo of 2,000+ files on the local git server. Each event is a new patch release, so each one makes a commit.
 *
 * Two measurements per scenario, with the handler warm (one container, its git cache reused, as in Lambda):
 * - `handler`: the SQS batch in hand (AWS's event shape) → the handler returns with the commit pushed;
 * - `queue`: SendMessage to a moto SQS FIFO queue → receive → handler → commit pushed (the event-source path).
 * Scenarios: `narrow` (the example's `web` policy over clusters/dev) and `wide` (a policy over all 2,000 files of
 * apps/, every file read and parsed per event).
 *
 * Baseline, in the same run: what a CI job does without Tidemark — `git clone --depth 1` of the same repo, edit the
 * tag, commit and push with the git CLI. Flux and Argo CD image automation poll registries every 1–10 minutes: a
 * stated constant (60 s, their shortest common setting), not measured.
 *
 *   npx tsx bench/image-updater/run.ts [--events N] [--files N] [--policies N]
 *
 * `--events` per scenario (default 20, at most 100; `run.ts N` works too), `--files` app folders under apps/ (default
 * 2,000; the ten-times size is 20,000), `--policies` in `.tidemark/images.yaml` (default: the example's two plus
 * `fleet`; more adds one narrow policy per app folder, each for its own repository, as a large fleet's file holds them;
 * the ten-times size is 200).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { validateDeploymentConfig } from '../../core/config/deployment-config';
import { exportsFor } from '../../local/environment';
import { createScratchQueue, ecrImageAction, lambdaContext, runQueueOnce, sqsEvent } from '../../local/invoke';
import { down, readEnvironment, up } from '../../local/local-environment';
import { localGit, localGitAuthHeader } from '../../local/local-git';
import { type Figure, reportFigures } from '../support/bench-report';

const { values: flags, positionals } = parseArgs({
  options: {
    events: { type: 'string' },
    files: { type: 'string' },
    policies: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
if (flags.help) {
  console.log(
    'Usage: npx tsx bench/image-updater/run.ts [--events N] [--files N] [--policies N]  (see the file header)',
  );
  process.exit(0);
}
const whole = (name: string, raw: string | undefined, fallback: number) => {
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, but ${raw} was given`);
  return n;
};
const events = Math.min(whole('events', flags.events ?? positionals[0], 20), 100);
const pollBaselineSeconds = 60;
const FILLER = whole('files', flags.files, 2000);
// The example's two policies and `fleet` are always there; more are narrow ones, one per app folder.
const EXTRA_POLICIES = Math.max(0, whole('policies', flags.policies, 3) - 3);
if (EXTRA_POLICIES > FILLER)
  throw new Error(`--policies ${EXTRA_POLICIES + 3} needs at least ${EXTRA_POLICIES} --files`);

// The shared local environment (started here when it is not running, and then stopped at the end): this benchmark
// needs its git server and moto; the control plane it starts with it stays idle.
const wasRunning = readEnvironment() !== undefined;
const env = await up((line) => console.error(`[local] ${line}`));
Object.assign(process.env, exportsFor(env), {
  TIDEMARK_TABLE_NAME: env.resources.tableName,
  POWERTOOLS_LOG_LEVEL: 'WARN',
  POWERTOOLS_METRICS_DISABLED: 'true',
});
try {
  const ECR = `${env.aws.accountId}.dkr.ecr.${env.aws.region}.amazonaws.com`;
  const suffix = randomBytes(3).toString('hex');
  const repoName = `bench-images-${suffix}`;
  const created = await fetch(`${env.git.url}/_admin/repos/${repoName}`, {
    method: 'POST',
    headers: { authorization: localGitAuthHeader(env.git) },
  });
  if (!created.ok) throw new Error(`creating ${repoName} on the local git server failed: ${created.status}`);
  const repoUrl = `${env.git.url}/${repoName}.git`;
  const git = (cwd: string, ...args: string[]) =>
    localGit(env.git, cwd, { name: 'Bench', email: 'bench@localhost' })(...args);

  // The seed: the example config repo, 2,000 app folders under apps/, and a `fleet` policy over all of them.
  const seed = mkdtempSync(join(tmpdir(), 'bench-images-seed-'));
  execFileSync('cp', ['-r', `${new URL('../../examples/config-repo', import.meta.url).pathname}/.`, seed]);
  const deployment = (i: number, image: string) =>
    `# app ${i}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${image} # {"owner": "team-${i % 7}"}\n          ports:\n            - containerPort: 8080\n`;
  for (let i = 0; i < FILLER; i++) {
    const path = join(seed, 'apps', `app-${String(i).padStart(4, '0')}`, 'deployment.yaml');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      deployment(i, i === Math.min(1234, FILLER - 1) ? `${ECR}/fleet:1.0.0` : `${ECR}/app-${i}:1.0.0`),
    );
  }
  const narrow = Array.from({ length: EXTRA_POLICIES }, (_, i) => {
    const app = `app-${String(i).padStart(4, '0')}`;
    return `  - name: ${app}\n    repository: ${ECR}/app-${i}\n    strategy:\n      semver: "^1.0.0"\n    update:\n      paths: [apps/${app}]\n    writeBack:\n      push: { branch: main }\n`;
  });
  writeFileSync(
    join(seed, '.tidemark/images.yaml'),
    `${readFileSync(join(seed, '.tidemark/images.yaml'), 'utf8')}  - name: fleet\n    repository: ${ECR}/fleet\n    strategy:\n      semver: "^1.0.0"\n    update:\n      paths: [apps]\n    writeBack:\n      push: { branch: main }\n${narrow.join('')}`,
  );
  git(seed, 'init', '--quiet', '--initial-branch=main');
  git(seed, 'add', '-A');
  git(seed, 'commit', '--quiet', '-m', 'seed');
  git(seed, 'push', '--quiet', repoUrl, 'HEAD:refs/heads/main');
  const fileCount = git(seed, 'ls-files').split('\n').length;
  rmSync(seed, { recursive: true, force: true });

  // The handler, configured for this repo, with sync queues of its own.
  const dev = await createScratchQueue('bench-sync-dev');
  const prod = await createScratchQueue('bench-sync-prod');
  const queue = await createScratchQueue('bench-image-events', { fifo: true });
  process.env.TIDEMARK_CONFIG = JSON.stringify(
    validateDeploymentConfig({
      configRepo: { provider: 'git', url: repoUrl, branch: 'main', authSecretName: env.resources.secrets.configRepo },
      clusters: [
        { name: 'dev', eksClusterName: 'local', region: env.aws.region, path: 'clusters/dev' },
        { name: 'prod', eksClusterName: 'local', region: env.aws.region, path: 'clusters/prod' },
      ],
      images: { ecrRepositories: ['web', 'fleet'] },
    }),
  );
  process.env.TIDEMARK_SYNC_QUEUE_URLS = JSON.stringify({ dev: dev.url, prod: prod.url });
  const { handler } = await import('../../functions/image-updater/handler');
  const sqs = new SQSClient({});
  const head = () => git(tmpdir(), 'ls-remote', repoUrl, 'refs/heads/main').split(/\s/)[0];

  let patch = 0;
  const nextEvent = (repositoryName: string) =>
    ecrImageAction({
      repositoryName,
      tag: `1.${Math.floor(patch / 1000)}.${++patch}`,
      digest: `sha256:${randomBytes(32).toString('hex')}`,
    });

  async function viaHandler(repositoryName: string): Promise<number> {
    const before = head();
    const body = JSON.stringify(nextEvent(repositoryName));
    const start = performance.now();
    const result = (await handler(
      sqsEvent([{ body, messageGroupId: 'config' }], queue.arn),
      lambdaContext('image-updater'),
    )) as SQSBatchResponse;
    const elapsed = performance.now() - start;
    if (result.batchItemFailures.length > 0 || head() === before)
      throw new Error(`event for ${repositoryName} made no commit`);
    return elapsed;
  }

  async function viaQueue(repositoryName: string): Promise<number> {
    const before = head();
    const start = performance.now();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify(nextEvent(repositoryName)),
        MessageGroupId: 'config',
        MessageDeduplicationId: randomBytes(8).toString('hex'),
      }),
    );
    const run = await runQueueOnce({ queueUrl: queue.url, handler, functionName: 'image-updater', waitTimeSeconds: 5 });
    const elapsed = performance.now() - start;
    if (run.failed.length > 0 || head() === before)
      throw new Error(`queued event for ${repositoryName} made no commit`);
    return elapsed;
  }

  /** What CI does without Tidemark: shallow clone, edit the tag, commit, push. */
  function naiveCi(): number {
    const start = performance.now();
    const work = mkdtempSync(join(tmpdir(), 'bench-images-ci-'));
    try {
      git(work, 'clone', '--quiet', '--depth', '1', '--branch', 'main', repoUrl, 'repo');
      const dir = join(work, 'repo');
      const file = join(dir, 'clusters/dev/web/deployment.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/web:[\w.-]+/, `web:9.${++patch}.0`));
      git(dir, 'commit', '--quiet', '-am', 'ci: bump web');
      git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return performance.now() - start;
  }

  function percentile(samples: number[], p: number): number {
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  }

  try {
    const cold = await viaHandler('web'); // first event of the container: clones into the cache folder
    const rows: [string, number[]][] = [];
    for (const [name, run] of [
      ['narrow: handler', () => viaHandler('web')],
      ['wide (every app file): handler', () => viaHandler('fleet')],
      ['narrow: SQS FIFO → handler', () => viaQueue('web')],
    ] as const) {
      const samples: number[] = [];
      for (let i = 0; i < events; i++) samples.push(await run());
      rows.push([name, samples]);
    }
    const naive: number[] = [];
    for (let i = 0; i < Math.min(events, 10); i++) naive.push(naiveCi());
    // The handler's push moved main past the CI's commit; keep them apart by measuring CI last.

    const naiveP50 = percentile(naive, 50);
    console.log(
      `image updater: event → pushed commit, ${fileCount}-file config repo on the local git server, ${events} events each`,
    );
    console.log(`cold start (first event, clone into the cache): ${cold.toFixed(0)} ms`);
    console.log('scenario                         p50 ms   p95 ms   p50 vs CI clone+push   p50 vs 60 s poll');
    for (const [name, samples] of rows) {
      const p50 = percentile(samples, 50);
      console.log(
        `${name.padEnd(32)} ${p50.toFixed(0).padStart(6)}   ${percentile(samples, 95).toFixed(0).padStart(6)}   ${(p50 / naiveP50).toFixed(2).padStart(20)}x   ${(p50 / (pollBaselineSeconds * 1000)).toFixed(4).padStart(14)}x`,
      );
    }
    console.log(
      `${'baseline: CI clone+edit+push'.padEnd(32)} ${naiveP50.toFixed(0).padStart(6)}   ${percentile(naive, 95).toFixed(0).padStart(6)}`,
    );
    const figures: Figure[] = rows.map(([name, samples]) => {
      const p50 = percentile(samples, 50);
      const wide = name.startsWith('wide');
      return {
        figure: `${name} (${fileCount} files, ${EXTRA_POLICIES + 3} policies), p50 of ${events}`,
        value: `${p50.toFixed(0)} ms (${(p50 / naiveP50).toFixed(2)}× a CI clone + push)`,
        // The goal is for the common case, a policy over a cluster's folder; `wide` reads all files per event.
        ...(wide ? {} : { target: '< 1 s', met: p50 < 1000 }),
      };
    });
    reportFigures('image-updater', figures);
  } finally {
    await dev.delete();
    await prod.delete();
    await queue.delete();
  }
} finally {
  if (!wasRunning) await down(env);
}
