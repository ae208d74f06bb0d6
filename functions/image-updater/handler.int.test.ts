import { randomUUID } from 'node:crypto';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SyncRequest } from '../../adapters/sync-queue/sync-request';
import { validateDeploymentConfig } from '../../core/config/deployment-config';
import { createScratchQueue, drainQueue, ecrImageAction, lambdaContext, scheduledEvent } from '../../local/invoke';
import { createConfigRepo, exampleConfigRepo } from '../../test/support/config-repo';
import { localEnv, uniqueName } from '../../test/support/local-env';

// The image updater end to end on the local environment: ECR events in AWS's documented EventBridge shape go through a
// real (moto) SQS FIFO queue into the handler, which commits to a real git server and announces on real sync queues.

const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const sqs = new SQSClient({});
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function scratch(prefix: string, options: Parameters<typeof createScratchQueue>[1] = {}) {
  const q = await createScratchQueue(prefix, options);
  cleanups.push(q.delete);
  return q;
}

/** A config repo of its own, sync queues, an image-event FIFO queue, and the handler configured for them. */
async function updater(files: Record<string, string> = exampleConfigRepo()) {
  const repo = await createConfigRepo('image-updater', files);
  const dev = await scratch('sync-dev');
  const prod = await scratch('sync-prod');
  const events = await scratch('image-events', { fifo: true, maxReceiveCount: 2 });
  process.env.TIDEMARK_CONFIG = JSON.stringify(
    validateDeploymentConfig({
      configRepo: {
        provider: 'git',
        url: repo.url,
        branch: 'main',
        authSecretName: localEnv().resources.secrets.configRepo,
      },
      clusters: [
        { name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' },
        { name: 'prod', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/prod' },
      ],
      images: { ecrRepositories: ['web'] },
    }),
  );
  process.env.TIDEMARK_SYNC_QUEUE_URLS = JSON.stringify({ dev: dev.url, prod: prod.url });
  vi.resetModules(); // the handler reads its environment once per container, as in Lambda
  const { handler } = await import('./handler');
  const send = async (...bodies: unknown[]) => {
    for (const body of bodies) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: events.url,
          MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
          MessageGroupId: 'config-repo',
          // A redelivery past SQS's 5-minute deduplication window: the same event, a new message.
          MessageDeduplicationId: randomUUID(),
        }),
      );
    }
  };
  const drain = () =>
    drainQueue({
      queueUrl: events.url,
      handler,
      functionName: 'image-updater',
      waitTimeSeconds: 1,
      releaseFailed: true,
    });
  const syncRequests = async (queueUrl: string) => {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    return (out.Messages ?? []).map((m) => SyncRequest.parse(JSON.parse(m.Body!)));
  };
  return { repo, handler, events, send, drain, dev, prod, syncRequests };
}

const push = (tag: string, n: number, repositoryName = 'web') =>
  ecrImageAction({ repositoryName, tag, digest: digest(n) });

describe('image updater handler', () => {
  it('commits a pushed tag to dev on main, opens the prod branch, and tells dev to sync', async () => {
    const u = await updater();
    const event = push('1.0.1', 1);
    await u.send(event);
    const runs = await u.drain();
    expect(runs.flatMap((r) => r.failed)).toEqual([]);

    const deployment = u.repo.file('clusters/dev/web/deployment.yaml')!;
    expect(deployment).toBe(exampleConfigRepo()['clusters/dev/web/deployment.yaml']!.replace('web:1.0.0', 'web:1.0.1'));
    const [latest] = u.repo.history();
    expect(latest!.files).toEqual(['clusters/dev/web/deployment.yaml']);
    expect(latest!.message).toBe(
      [
        'Update web to 1.0.1',
        '',
        `clusters/dev/web/deployment.yaml:21 ${ECR}/web:1.0.0 → ${ECR}/web:1.0.1`,
        '',
        'Tidemark-Policy: web',
        `Tidemark-Event-Id: ${event.id}`,
        `Tidemark-Image-Digest: ${digest(1)}`,
      ].join('\n'),
    );
    // prod follows by pull request: a branch per policy; the plain git server has no pull requests to open.
    expect(u.repo.file('clusters/prod/kustomization.yaml', 'tidemark/web-prod')).toContain('newTag: 1.0.1');
    expect(u.repo.file('clusters/prod/kustomization.yaml')).toContain('newTag: 1.0.0');

    const requests = await u.syncRequests(u.dev.url);
    expect(requests).toEqual([
      expect.objectContaining({
        repo: u.repo.url,
        branch: 'main',
        revision: u.repo.head(),
        deliveryId: `image-updater:${u.repo.head()}`,
      }),
    ]);
    expect(await u.syncRequests(u.prod.url)).toEqual([]);
  });

  it('makes no second commit for a duplicate event, nor for an older tag arriving late', async () => {
    const u = await updater();
    const newer = push('1.3.0', 2);
    await u.send(newer);
    await u.drain();
    const afterFirst = u.repo.head();
    await u.send(newer, push('1.2.5', 3));
    const runs = await u.drain();
    expect(runs.flatMap((r) => r.failed)).toEqual([]);
    expect(u.repo.head()).toBe(afterFirst);
    expect(u.repo.file('clusters/dev/web/deployment.yaml')).toContain('web:1.3.0');
    expect(u.repo.history().filter((c) => c.subject.startsWith('Update web'))).toHaveLength(1);
  });

  it('coalesces 50 events for 5 images into a few commits that end at the highest tag of each', async () => {
    const images = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    const files = exampleConfigRepo();
    files['.tidemark/images.yaml'] = `policies:\n${images
      .map(
        (name) =>
          `  - name: ${name}\n    repository: ${ECR}/${name}\n    strategy: { semver: "^1.0.0" }\n    update: { paths: [clusters/dev/${name}] }\n    writeBack: { push: { branch: main } }\n`,
      )
      .join('')}`;
    for (const name of images) {
      files[`clusters/dev/${name}/deployment.yaml`] =
        `# ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${ECR}/${name}:1.0.0 # pinned by Tidemark\n`;
    }
    const u = await updater(files);
    const events = images.flatMap((name, i) =>
      Array.from({ length: 10 }, (_, t) => push(`1.0.${t + 1}`, i * 100 + t, name)),
    );
    // Shuffled: a burst arrives in no particular order.
    events.sort(() => Math.random() - 0.5);
    await u.send(...events);
    const runs = await u.drain();
    expect(runs.flatMap((r) => r.failed)).toEqual([]);
    expect(runs.reduce((n, r) => n + r.deleted.length, 0)).toBe(50);

    for (const name of images)
      expect(u.repo.file(`clusters/dev/${name}/deployment.yaml`)).toContain(`${name}:1.0.10 #`);
    const commits = u.repo.history().filter((c) => c.subject.startsWith('Update '));
    // At most one commit per batch of 10, and every commit changes at least one file.
    expect(commits.length).toBeLessThanOrEqual(runs.length);
    for (const c of commits) expect(c.files.length).toBeGreaterThan(0);
    expect(await u.events.deadLetters()).toEqual([]);
  });

  it('sends a malformed event to the dead-letter queue with its reason, and still applies the valid ones', async () => {
    const u = await updater();
    const failed = { ...push('1.0.2', 4), detail: { ...push('1.0.2', 4).detail, 'image-digest': 'not-a-digest' } };
    const logs = vi.spyOn(process.stderr, 'write'); // Powertools writes warnings to stderr
    await u.send('this is not json', failed, push('1.0.3', 5));
    await u.drain();
    expect(u.repo.file('clusters/dev/web/deployment.yaml')).toContain('web:1.0.3');
    const dead = await u.events.deadLetters();
    expect(dead).toHaveLength(2);
    const reasons = logs.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('rejected a malformed event'));
    logs.mockRestore();
    expect(reasons.join('\n')).toContain('malformed ECR event: the body is not JSON');
    expect(reasons.join('\n')).toContain('malformed ECR event: detail.image-digest: must be a sha256 digest');
  });

  it('refuses an event whose tag is not an image tag (a forged message), writing neither manifest nor commit', async () => {
    const u = await updater();
    const before = u.repo.head();
    const forged = (tag: string, n: number) => ({
      ...push('1.0.2', n),
      detail: { ...push('1.0.2', n).detail, 'image-tag': tag },
    });
    const logs = vi.spyOn(process.stderr, 'write');
    await u.send(forged('1.0.1 --privileged', 8), forged('1.0.1\nimage: evil', 9), forged('-1.0.1', 10));
    await u.drain();
    const reasons = logs.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('rejected a malformed event'));
    logs.mockRestore();
    expect(u.repo.head()).toBe(before);
    expect(u.repo.file('clusters/dev/web/deployment.yaml')).not.toContain('privileged');
    expect(await u.events.deadLetters()).toHaveLength(3);
    expect(reasons.length).toBeGreaterThanOrEqual(3); // each is received twice before the dead-letter queue
    for (const r of reasons) expect(r).toContain('malformed ECR event: detail.image-tag: must be an image tag');
  });

  it('ignores a repository no policy names and a push without a tag, and commits nothing for an invalid policy file', async () => {
    const u = await updater();
    const before = u.repo.head();
    await u.send(push('9.9.9', 6, 'unrelated'), ecrImageAction({ repositoryName: 'web', digest: digest(66) }));
    const ignored = await u.drain();
    expect(ignored.flatMap((r) => r.failed)).toEqual([]);
    expect(ignored.flatMap((r) => r.deleted)).toHaveLength(2);
    expect(u.repo.head()).toBe(before);

    u.repo.commit(
      { '.tidemark/images.yaml': 'policies:\n  - name: web\n    repository: nope:1\n' },
      'break the policies',
    );
    const broken = u.repo.head();
    await u.send(push('1.0.4', 7));
    const runs = await u.drain();
    expect(runs.flatMap((r) => r.failed).length).toBeGreaterThan(0);
    expect(u.repo.head()).toBe(broken);
    expect(await u.events.deadLetters()).toHaveLength(1);
  });

  it('catches up on a schedule from ECR DescribeImages, past a repository ECR cannot list', async () => {
    const ecr = new ECRClient({});
    const name = uniqueName('catch-up');
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    for (const [i, tag] of ['1.0.0', '1.4.0', '2.0.0', '1.3.9'].entries()) {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { digest: digest(1000 + i), size: i },
        layers: [],
      });
      await ecr.send(new PutImageCommand({ repositoryName: name, imageManifest: manifest, imageTag: tag }));
    }
    const files = exampleConfigRepo();
    files['.tidemark/images.yaml'] = `${files['.tidemark/images.yaml']!.replaceAll(`${ECR}/web`, `${ECR}/${name}`)}
  - name: elsewhere
    repository: ghcr.io/acme/elsewhere
    strategy: { semver: "^1.0.0" }
    update: { paths: [clusters/dev] }
`;
    files['clusters/dev/web/deployment.yaml'] = files['clusters/dev/web/deployment.yaml']!.replace(
      `${ECR}/web`,
      `${ECR}/${name}`,
    );
    const u = await updater(files);
    const result = await u.handler(
      scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/catch-up'),
      lambdaContext('image-updater'),
    );
    expect(result).toMatchObject({ kind: 'updated' });
    expect(u.repo.file('clusters/dev/web/deployment.yaml')).toContain(`${name}:1.4.0`);
  });
});
