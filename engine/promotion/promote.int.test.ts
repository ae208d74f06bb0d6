import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand, StartImageScanCommand } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { GitConfigRepo } from '../../adapters/config-repo/git';
import { describeImages } from '../../adapters/ecr/ecr-images';
import { describeScanFindings } from '../../adapters/ecr/scan-findings';
import { type Exchange, replayGitHub } from '../../adapters/github/fixtures/replay-github';
import { GitHubGateStatuses } from '../../adapters/github/github-gate-statuses';
import { VersionedItems } from '../../adapters/state/versioned-items';
import { decideSyncEvent } from '../../core/notify/decide-sync-event';
import { type DeploymentEvent, deploymentEvent } from '../../core/notify/deployment-event';
import { defaultNotificationSettings } from '../../core/notify/notification-settings';
import type { SyncNotifyState } from '../../core/notify/notify-state';
import { updateImages } from '../../functions/image-updater/update-images';
import { handleTriggers } from '../../functions/promoter/promoter-trigger';
import { lambdaContext, sqsEvent } from '../../local/invoke';
import { createConfigRepo, type TestConfigRepo } from '../../test/support/config-repo';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { type HoldSaid, type PromoterDeps, type PromotionRun, runPromotions } from './promote';
import { readPromotionStandings } from './standings';

// The promoter on the local environment: a real git server holds the config repo, moto holds ECR (images, scan
// findings set through moto's documented `/moto-api/static/ecr/scan-finding-results`) and the State table. The clock
// is the test's: deployment events carry its times and the promoter judges soaks and windows by it. Events arrive as
// the SQS records the promoter's queue delivers (`handleTriggers`), as in AWS.

const ecr = () => new ECRClient({});
const t0 = Date.parse('2026-12-02T10:00:00Z'); // a Wednesday
const minutes = (n: number) => t0 + n * 60_000;

interface World {
  remote: TestConfigRepo;
  deps: PromoterDeps;
  /** Every promoter run so far, those the deliveries made included. */
  runs: PromotionRun[];
  run(deps?: PromoterDeps): Promise<PromotionRun>;
  /** The recorded GitHub REST exchanges, when the test gave some. */
  github?: ReturnType<typeof replayGitHub>;
  /** Another promoter on the same repo and table, as a second Lambda container. */
  secondPromoter(): Promise<PromoterDeps>;
  clock: { now: number };
  repository: string;
  digests: string[];
  dev: string;
  prod: string;
  pipeline: string;
  deployed(minute: number, digest: string, tag: string): Promise<void>;
  event(kind: DeploymentEvent['kind'], minute: number, extra?: Partial<DeploymentEvent>): DeploymentEvent;
  deliver(...bodies: unknown[]): Promise<void>;
  /** The same, handled by another promoter (another Lambda container). */
  deliverVia(deps: PromoterDeps, ...bodies: unknown[]): Promise<void>;
  scanEvent(digest: string, counts: Record<string, number>, status?: string): unknown;
  prodFile(): string;
}

/** A minimal OCI image manifest. moto derives an image's digest from its layers' digests, so each seed has a layer. */
function manifest(seed: string): string {
  const blob = (mediaType: string, n: string) => ({ mediaType, digest: `sha256:${n.padStart(64, '0')}`, size: 2 });
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: blob('application/vnd.oci.image.config.v1+json', seed),
    layers: [blob('application/vnd.oci.image.layer.v1.tar+gzip', `f${seed}`)],
  });
}

const prodDeployment = (image: string) => `# prod's web: moved only by promotion
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # keep this name
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: ${image}   # pinned by the promoter
          ports: [{ containerPort: 8080 }]
`;

async function world(gates: string, options: { approval?: string; github?: Exchange[] } = {}): Promise<World> {
  const env = localEnv();
  const name = uniqueName('promote');
  const uri = (await ecr().send(new CreateRepositoryCommand({ repositoryName: name }))).repository!.repositoryUri!;
  const tags = ['1.1.0', '1.2.0', '1.3.0'];
  for (const [i, tag] of tags.entries()) {
    await ecr().send(
      new PutImageCommand({ repositoryName: name, imageManifest: manifest(`${i + 1}0`), imageTag: tag }),
    );
  }
  const listed = await describeImages(uri);
  const digests = tags.map((tag) => listed.find((image) => image.tag === tag)!.digest!);
  expect(new Set(digests).size).toBe(3);
  const dev = uniqueName('dev');
  const prod = uniqueName('prod');
  const pipeline = uniqueName('web');
  const remote = await createConfigRepo('promote', {
    '.tidemark/images.yaml': `policies:
  - name: web-dev
    repository: ${uri}
    strategy: { semver: ">=1.0.0" }
    digest: pin
    update: { paths: [clusters/dev] }
  - name: web-prod
    repository: ${uri}
    strategy: { semver: ">=1.0.0" }
    update: { paths: [clusters/prod] }
`,
    '.tidemark/promotions.yaml': `pipelines:
  - name: ${pipeline}
    stages:
      - name: dev
        cluster: ${dev}
      - name: prod
        cluster: ${prod}
        policies: [web-prod]
        approval: ${options.approval ?? 'direct'}
        gates: ${gates}
`,
    'clusters/dev/web.yaml': prodDeployment(`${uri}:1.0.0@${digests[0]}`),
    'clusters/prod/web.yaml': prodDeployment(`${uri}:1.0.0`),
  });
  const { username, password } = env.git;
  // Its own checkout cache per promoter, as each Lambda container has.
  const open = () =>
    GitConfigRepo.open({
      url: remote.url,
      branch: 'main',
      credentials: { username, password },
      cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-promote-')),
    });
  const repo = await open();
  const clock = { now: t0 };
  const now = () => new Date(clock.now);
  const items = new VersionedItems(env.resources.tableName);
  const replay = options.github ? replayGitHub(options.github) : undefined;
  const deps: PromoterDeps = {
    repo,
    items,
    now,
    describeScan: (repository, digest) => describeScanFindings(repository, digest, { now }),
    imagesOf: (repository) => describeImages(repository),
    ...(replay
      ? {
          gateStatuses: new GitHubGateStatuses({
            repoUrl: 'https://github.com/acme/config.git',
            credentials: { token: 'ghs_fixture' },
            octokitOptions: { request: { fetch: replay.fetch, retries: 0 }, throttle: { enabled: false } },
          }),
        }
      : {}),
  };
  const runs: PromotionRun[] = [];
  const run = async (with_: PromoterDeps = deps) => {
    const r = await runPromotions(with_);
    runs.push(r);
    return r;
  };
  let n = 0;
  const event = (kind: DeploymentEvent['kind'], minute: number, extra: Partial<DeploymentEvent> = {}) =>
    deploymentEvent({
      at: new Date(minutes(minute)).toISOString(),
      cluster: dev,
      sync: { namespace: 'tidemark-system', name: 'dev' },
      repo: remote.url,
      revision: (++n).toString(16).padStart(40, 'a'),
      kind,
      reason:
        kind === 'deployed'
          ? 'ReconciliationSucceeded'
          : kind === 'degraded'
            ? 'ProgressDeadlineExceeded'
            : 'Recovered',
      ...extra,
    } as Parameters<typeof deploymentEvent>[0]);
  const eventBridge = (detailType: string, source: string, detail: unknown) => ({
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': detailType,
    source,
    account: env.aws.accountId,
    time: new Date(clock.now).toISOString().replace(/\.\d+Z$/, 'Z'),
    region: env.aws.region,
    resources: [],
    detail,
  });
  const deliverVia = async (via: PromoterDeps, ...bodies: unknown[]) => {
    const batch = sqsEvent(
      bodies.map((b) => ({
        body: JSON.stringify('kind' in (b as object) ? eventBridge('Tidemark Deployment', 'tidemark', b) : b),
      })),
      `arn:aws:sqs:${env.aws.region}:${env.aws.accountId}:tidemark-promoter`,
    );
    const out = await handleTriggers(batch, lambdaContext('promoter'), {
      items,
      now,
      run: () => run(via),
      warn: () => {},
    });
    expect(out.batchItemFailures).toEqual([]);
  };
  const deliver = (...bodies: unknown[]) => deliverVia(deps, ...bodies);
  return {
    remote,
    deps,
    runs,
    run,
    ...(replay ? { github: replay } : {}),
    secondPromoter: async () => ({ ...deps, repo: await open() }),
    clock,
    repository: uri,
    digests,
    dev,
    prod,
    pipeline,
    event,
    deliver,
    deliverVia,
    deployed: async (minute, digest, tag) =>
      deliver(event('deployed', minute, { images: [{ name: `${uri}:${tag}`, digest }] } as Partial<DeploymentEvent>)),
    scanEvent: (digest, counts, status = 'COMPLETE') =>
      eventBridge('ECR Image Scan', 'aws.ecr', {
        'scan-status': status,
        'repository-name': name,
        'image-digest': digest,
        'image-tags': [],
        'finding-severity-counts': counts,
      }),
    prodFile: () => remote.file('clusters/prod/web.yaml')!,
  };
}

const promotions = (w: World) => w.remote.history().filter((c) => c.subject.startsWith('Promote'));

async function at(w: World, minute: number) {
  w.clock.now = minutes(minute);
  return w.run();
}

const everyRun = (w: World) => ({
  promoted: w.runs.flatMap((r) => r.promoted),
  said: w.runs.flatMap((r) => r.said),
});

describe('the promoter on the local environment', () => {
  it('promotes the digest dev proved after the soak, pinned tag@sha256, byte-for-byte elsewhere, listing the evidence', async () => {
    const w = await world('{ soak: 30m, scan: { maxFindings: { critical: 0 } } }');
    const [, b] = w.digests as [string, string];
    await w.deployed(0, b, '1.2.0');
    await w.deliver(w.scanEvent(b, { HIGH: 2 }));
    expect((await at(w, 29)).promoted).toEqual([]);
    const before = w.prodFile();
    const run = await at(w, 30);
    expect(run.promoted).toMatchObject([{ stage: 'prod', policy: 'web-prod', digest: b, tag: '1.2.0' }]);
    const after = w.prodFile();
    expect(after).toBe(before.replace(`${w.repository}:1.0.0`, `${w.repository}:1.2.0@${b}`));
    const [commit] = promotions(w);
    expect(commit!.subject).toBe('Promote web-prod to 1.2.0 (dev → prod)');
    expect(commit!.message).toContain(`- soak: healthy in dev for 30m (soak 30m)`);
    expect(commit!.message).toContain('- scan: findings HIGH 2, within the thresholds');
    expect(commit!.message).toContain(`Tidemark-Image-Digest: ${b}`);
    expect(commit!.files).toEqual(['clusters/prod/web.yaml']);
    // The next run finds it promoted and writes nothing.
    expect((await at(w, 31)).standings[0]).toMatchObject({ state: 'promoted', lastPromotion: { digest: b } });
    expect(promotions(w)).toHaveLength(1);
  });

  it('holds a digest with critical findings, says so once, and never promotes it', async () => {
    const w = await world('{ soak: 5m, scan: { maxFindings: { critical: 0, high: 5 } } }');
    const [, b] = w.digests as [string, string];
    const told: HoldSaid[] = [];
    w.deps.announce = async (hold) => {
      told.push(hold);
    };
    await w.deployed(0, b, '1.2.0');
    await w.deliver(w.scanEvent(b, { CRITICAL: 2, HIGH: 1 }));
    const first = await at(w, 10);
    expect(first.standings[0]).toMatchObject({
      state: 'blocked',
      heldBy: { gate: 'scan', reason: '2 CRITICAL findings (at most 0 allowed)' },
    });
    await at(w, 20);
    // Said once over every run (the scan event's own run said it): first the soak waiting, then the scan blocking.
    expect(everyRun(w).said.map((h) => [h.gate, h.state])).toEqual([
      ['soak', 'waiting'],
      ['scan', 'blocked'],
    ]);
    expect(promotions(w)).toEqual([]);
    expect(told).toMatchObject([{ gate: 'scan', state: 'blocked', digest: b }]);
    expect(w.prodFile()).toContain(`${w.repository}:1.0.0`);
  });

  it('restarts the soak when dev degrades during it', async () => {
    const w = await world('{ soak: 30m }');
    const [, b] = w.digests as [string, string];
    await w.deployed(0, b, '1.2.0');
    await w.deliver(w.event('degraded', 10));
    await w.deliver(
      w.event('recovered', 12, {
        previous: { kind: 'degraded', reason: 'ProgressDeadlineExceeded', since: new Date(minutes(10)).toISOString() },
      }),
    );
    const held = await at(w, 35);
    expect(held.promoted).toEqual([]);
    expect(held.standings[0]!.heldBy?.reason).toMatch(/^healthy in dev for 23m of 30m; restarted by degraded/);
    expect((await at(w, 42)).promoted).toHaveLength(1);
  });

  it("catches up a degrade whose event it missed, from the notifier's record, on the scheduled run", async () => {
    const w = await world('{ soak: 30m }');
    const [, b] = w.digests as [string, string];
    const deployed = w.event('deployed', 0, {
      images: [{ name: `${w.repository}:1.2.0`, digest: b }],
    } as Partial<DeploymentEvent>);
    await w.deliver(deployed);
    // The notifier saw the degrade and the recovery (its record, decided by its own code); the promoter got neither.
    const degraded = w.event('degraded', 10, { revision: deployed.revision } as Partial<DeploymentEvent>);
    let state: SyncNotifyState | undefined;
    for (const e of [deployed, degraded]) {
      state = decideSyncEvent(state, e, { settings: defaultNotificationSettings, now: new Date(e.at) }).next;
    }
    await w.deps.items.put(`deploy-sync#${w.dev}#tidemark-system/dev`, { state, outbox: [] }, { version: 0 });
    // Past the soak as the promoter's own evidence counts it; the scheduled run reads the notifier's record first.
    w.clock.now = minutes(31);
    const scheduled = await w.run({ ...w.deps, catchUpEvidence: true });
    expect(scheduled.promoted).toEqual([]);
    expect(scheduled.standings[0]!.heldBy).toMatchObject({ gate: 'upstream' });
    expect(scheduled.standings[0]!.heldBy!.reason).toContain('degraded (ProgressDeadlineExceeded)');
    expect(promotions(w)).toEqual([]);
  });

  it('lets a newer digest supersede an older candidate: the older is never promoted', async () => {
    const w = await world('{ soak: 30m }');
    const [, b, c] = w.digests as [string, string, string];
    await w.deployed(0, b, '1.2.0');
    await w.deployed(20, c, '1.3.0');
    const r31 = await at(w, 31);
    expect(r31.promoted).toEqual([]); // 1.2.0's soak ended, but dev no longer runs it
    expect((await at(w, 50)).promoted).toMatchObject([{ digest: c, tag: '1.3.0' }]);
    expect(w.prodFile()).toContain(`${w.repository}:1.3.0@${c}`);
    expect(promotions(w).map((p) => p.subject)).toEqual(['Promote web-prod to 1.3.0 (dev → prod)']);
  });

  it('catches up a missed scan event on the scheduled run, from DescribeImageScanFindings', async () => {
    const w = await world('{ soak: 1m, scan: { maxFindings: { critical: 0 } } }');
    const [, b] = w.digests as [string, string];
    await w.deployed(0, b, '1.2.0');
    // No scan yet (moto answers ScanNotFoundException): pending holds.
    expect((await at(w, 5)).standings[0]).toMatchObject({ state: 'waiting', heldBy: { gate: 'scan' } });
    // ECR finishes the scan; its event is lost. Findings are set through moto's API for this digest.
    const { endpoint, region, accountId } = localEnv().aws;
    const repositoryName = w.repository.slice(w.repository.indexOf('/') + 1);
    const posted = await fetch(`${endpoint}/moto-api/static/ecr/scan-finding-results`, {
      method: 'POST',
      body: JSON.stringify({
        region,
        results: [
          {
            registryId: accountId,
            repositoryName,
            imageId: { imageDigest: b },
            imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
            imageScanFindings: { findingSeverityCounts: { MEDIUM: 3, LOW: 1 } },
          },
        ],
      }),
    });
    expect(posted.ok).toBe(true);
    await ecr().send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest: b } }));
    const run = await at(w, 6);
    expect(run.promoted).toMatchObject([{ digest: b }]);
    expect(promotions(w)[0]!.message).toContain('- scan: findings MEDIUM 3, LOW 1, within the thresholds');
  });

  it('promotes once when events are delivered twice and two runs race', async () => {
    const w = await world('{ soak: 0s }');
    const [, b] = w.digests as [string, string];
    const deployed = w.event('deployed', 0, {
      images: [{ name: `${w.repository}:1.2.0`, digest: b }],
    } as Partial<DeploymentEvent>);
    w.clock.now = minutes(1);
    const other = await w.secondPromoter();
    await Promise.all([w.deliver(deployed, deployed), w.deliverVia(other, deployed)]);
    await Promise.all([w.run(), w.run(other)]);
    expect(everyRun(w).promoted).toHaveLength(1);
    expect(promotions(w)).toHaveLength(1);
    expect(w.prodFile()).toContain(`:1.2.0@${b}`);
  });

  it('moves nothing outside the window, and promotes when it opens', async () => {
    const w = await world('{ soak: 10m, window: { days: [wed], hours: "11:00-12:00", timeZone: Europe/London } }');
    const [, b] = w.digests as [string, string];
    await w.deployed(0, b, '1.2.0');
    const closed = await at(w, 45);
    expect(closed.promoted).toEqual([]);
    expect(closed.standings[0]!.heldBy).toMatchObject({ gate: 'window' });
    expect(closed.nextCheckAt).toEqual(new Date('2026-12-02T11:00:00Z'));
    expect((await at(w, 59)).promoted).toEqual([]);
    expect((await at(w, 60)).promoted).toHaveLength(1);
  });

  it('never writes a downgrade: a candidate older than what prod runs is refused, once', async () => {
    const w = await world('{ soak: 0s }');
    const [a] = w.digests as [string];
    w.remote.commit({ 'clusters/prod/web.yaml': prodDeployment(`${w.repository}:1.3.0`) }, 'prod runs 1.3.0');
    await w.deployed(0, a, '1.1.0');
    const run = await at(w, 1);
    expect(run.standings[0]).toMatchObject({ state: 'blocked', heldBy: { gate: 'write' } });
    expect(run.standings[0]!.heldBy!.reason).toMatch(/^not written: /);
    await at(w, 2);
    expect(everyRun(w).promoted).toEqual([]);
    expect(everyRun(w).said).toMatchObject([{ gate: 'write', state: 'blocked', digest: a }]);
    expect(promotions(w)).toEqual([]);
  });

  it('opens a pull request when the stage asks for approval (plain git: the branch is pushed for a person)', async () => {
    const w = await world('{ soak: 0s }', { approval: 'pull-request' });
    const [, b] = w.digests as [string, string];
    await w.deployed(0, b, '1.2.0');
    await at(w, 1);
    expect(everyRun(w).promoted).toMatchObject([{ digest: b }]);
    expect(w.prodFile()).toContain(`${w.repository}:1.0.0`); // main is unchanged until someone merges
    expect(w.remote.file('clusters/prod/web.yaml', 'tidemark/promote-web-prod')).toContain(`:1.2.0@${b}`);
  });

  it('sets a commit status per gate on the upstream revision (GitHub REST replayed from recorded responses)', async () => {
    // GitHub's REST API has no emulator: these exchanges are trimmed from the example response of "Create a commit
    // status" in GitHub's REST reference, as adapters/github/fixtures/deployments-recordings.ts does.
    const status = (context: string, state: string): Exchange => ({
      method: 'POST',
      path: `/repos/acme/config/statuses/${'1'.padStart(40, 'a')}`,
      status: 201,
      expectBody: { context, state },
      body: { id: 1, state, context, description: '', created_at: '2026-12-02T10:00:00Z' },
    });
    const w = await world('{ soak: 10m }', {
      github: [
        status('tidemark/promote/prod/upstream', 'success'),
        status('tidemark/promote/prod/soak', 'pending'),
        status('tidemark/promote/prod/soak', 'success'),
      ],
    });
    const [, b] = w.digests as [string, string];
    await w.deployed(0, b, '1.2.0'); // its run: upstream passed, soak pending (two statuses)
    await at(w, 5); // nothing changed: none
    await at(w, 10); // soak passed: one, and the promotion
    expect(promotions(w)).toHaveLength(1);
    expect(w.github!.pending).toEqual([]);
    expect(w.github!.requests.map((r) => (r.body as { description: string }).description)).toEqual([
      expect.stringMatching(/^1\.2\.0@sha256:\w+ deployed in dev at /),
      'healthy in dev for 0s of 10m',
      'healthy in dev for 10m (soak 10m)',
    ]);
  });

  it('leaves prod to the promoter when an image is pushed: the image updater moves dev only', async () => {
    const w = await world('{ soak: 30m }');
    const [, b] = w.digests as [string, string];
    const result = await updateImages([{ repository: w.repository, tag: '1.2.0', digest: b }], { repo: w.deps.repo });
    expect(result.matchedPolicies).toEqual(['web-dev']);
    expect(w.remote.file('clusters/dev/web.yaml')).toContain(`:1.2.0@${b}`);
    expect(w.prodFile()).toContain(`${w.repository}:1.0.0`);
  });

  it('reads the standings the CLI and the UI show', async () => {
    const w = await world('{ soak: 30m }');
    const [, b] = w.digests as [string, string];
    await w.deployed(0, b, '1.2.0');
    w.clock.now = minutes(12);
    const standings = await readPromotionStandings(w.deps);
    expect(standings?.pipelines).toMatchObject([
      {
        name: w.pipeline,
        stages: [
          { name: 'dev', cluster: w.dev, candidates: [] },
          {
            name: 'prod',
            cluster: w.prod,
            candidates: [
              {
                policy: 'web-prod',
                state: 'waiting',
                candidate: { digest: b, tag: '1.2.0' },
                heldBy: { gate: 'soak', reason: 'healthy in dev for 12m of 30m' },
              },
            ],
          },
        ],
      },
    ]);
  });
});
