import { randomBytes } from 'node:crypto';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createScratchQueue,
  githubPush,
  lambdaContext,
  runQueueOnce,
  type ScratchQueue,
  webhookDelivery,
} from '../../local/invoke';
import { createGitRepo, type TestGitRepo } from '../../test/support/git-repo';
import { uniqueName } from '../../test/support/local-env';

// The push path of a folder of resources, nothing stubbed: a commit on the real git server, GitHub's signed push
// delivered to the webhook handler, which maps the changed paths to the folder's sync queue (a moto SQS queue) and not
// to the cluster's; the Route 53 reconciler Lambda drains that queue as its event source mapping would and applies
// the commit to moto's Route 53.

const folder = uniqueName('push-dns');
const route53 = new Route53Client({});
let zone: string;
let zoneId: string;
let repo: TestGitRepo;
let clusterQueue: ScratchQueue;
let folderQueue: ScratchQueue;
let secret: string;
let webhook: typeof import('../webhook/handler').handler;
let reconciler: typeof import('./route53/handler').handler;

const recordSet = (ttl: number) => `apiVersion: tidemark.dev/v1alpha1
kind: DnsRecordSet
metadata: { name: shop }
spec: { zone: ${zone}, name: shop, type: A, ttl: ${ttl}, values: [192.0.2.44] }
`;

beforeAll(async () => {
  zone = `${folder}.example.com`;
  zoneId = (
    await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: zone }))
  ).HostedZone!.Id!.replace('/hostedzone/', '');
  repo = await createGitRepo('push-dns', {
    'clusters/dev/placeholder.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: placeholder }\n',
    'resources/dns/shop.yaml': recordSet(300),
  });
  [clusterQueue, folderQueue] = await Promise.all([createScratchQueue('push-dev'), createScratchQueue('push-dns')]);
  const secretName = `tidemark-test/webhook-${randomBytes(4).toString('hex')}`;
  secret = randomBytes(20).toString('hex');
  await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: secretName, SecretString: secret }));
  vi.stubEnv(
    'TIDEMARK_CONFIG',
    JSON.stringify({
      configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
      clusters: [{ name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' }],
      images: { ecrRepositories: ['web'] },
      webhook: { secretName },
      resources: [
        {
          name: folder,
          path: 'resources/dns',
          reconciler: 'route53',
          ownerId: `acme-${folder}`,
          settings: { hostedZoneIds: [zoneId] },
        },
      ],
    }),
  );
  // As the stack wires it (infra/webhook-receiver.ts): one map of target → queue, a folder's key `resources/<name>`.
  vi.stubEnv(
    'TIDEMARK_SYNC_QUEUE_URLS',
    JSON.stringify({ dev: clusterQueue.url, [`resources/${folder}`]: folderQueue.url }),
  );
  vi.stubEnv('TIDEMARK_RESOURCES_FOLDER', folder);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
  vi.resetModules();
  ({ handler: webhook } = await import('../webhook/handler'));
  ({ handler: reconciler } = await import('./route53/handler'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([clusterQueue?.delete(), folderQueue?.delete()]);
});

describe('a push that changes a folder of resources', () => {
  it("asks the folder's reconciler to run, not the cluster's agent, and the reconciler applies the commit", async () => {
    const before = repo.head();
    const after = repo.commit({ 'resources/dns/shop.yaml': recordSet(60) }, 'shop: ttl 60');
    const payload = githubPush({ repoUrl: repo.url, before, after, modified: ['resources/dns/shop.yaml'] });
    const response = await webhook(webhookDelivery({ event: 'push', payload, secret }), lambdaContext('webhook'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ clusters: [`resources/${folder}`] });
    expect(await clusterQueue.depth()).toBe(0);

    const run = await runQueueOnce({ queueUrl: folderQueue.url, handler: reconciler, waitTimeSeconds: 2 });
    expect(run).toMatchObject({ received: 1, failed: [] });
    const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    expect(records.ResourceRecordSets?.find((r) => r.Name === `shop.${zone}.` && r.Type === 'A')?.TTL).toBe(60);
  });
});
