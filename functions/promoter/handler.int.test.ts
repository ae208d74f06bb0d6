import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeImages } from '../../adapters/ecr/ecr-images';
import { deploymentDetailType, deploymentEventSource } from '../../adapters/events/eventbridge-deployments';
import { deploymentEvent } from '../../core/notify/deployment-event';
import type { PromotionRun } from '../../engine/promotion/promote';
import { createScratchQueue, lambdaContext, runQueueOnce, type ScratchQueue, scheduledEvent } from '../../local/invoke';
import { createConfigRepo, type TestConfigRepo } from '../../test/support/config-repo';
import { eventually } from '../../test/support/eventually';
import { localEnv, uniqueName } from '../../test/support/local-env';

// The promoter's handler as Lambda runs it, on the real clock: a `Tidemark Deployment` event put on moto's default
// EventBridge bus reaches a queue of this file's own through a rule (as infra/promoter.ts wires it), runQueueOnce plays
// the event source mapping, the promoter asks the same queue for a delayed wake-up at the soak's end, and commits to a
// config repo on the real git server.

const dev = uniqueName('dev');
const prod = uniqueName('prod');
const repositoryName = uniqueName('promoted');
// The stage ledger is per pipeline in the shared State table: a name of this run's own.
const pipeline = uniqueName('web');
let remote: TestConfigRepo;
let queue: ScratchQueue;
let uri: string;
let digest: string;
let handler: (event: unknown, context: Context) => Promise<SQSBatchResponse | PromotionRun>;

const deployment = (image: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ${image}  # the promoter writes this\n`;

beforeAll(async () => {
  const env = localEnv();
  const ecr = new ECRClient({});
  uri = (await ecr.send(new CreateRepositoryCommand({ repositoryName }))).repository!.repositoryUri!;
  const blob = (mediaType: string, n: string) => ({ mediaType, digest: `sha256:${n.padStart(64, '0')}`, size: 2 });
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: blob('application/vnd.oci.image.config.v1+json', '7'),
    // moto derives the digest from the layers' digests: one of this run's own, so no earlier run's ledger matches it.
    layers: [
      blob('application/vnd.oci.image.layer.v1.tar+gzip', Buffer.from(repositoryName).toString('hex').slice(0, 60)),
    ],
  };
  await ecr.send(new PutImageCommand({ repositoryName, imageManifest: JSON.stringify(manifest), imageTag: '2.0.0' }));
  digest = (await describeImages(uri))[0]!.digest!;
  remote = await createConfigRepo('promoter-handler', {
    '.tidemark/images.yaml': `policies:\n  - { name: web, repository: ${uri}, strategy: { semver: ">=1.0.0" }, digest: pin, update: { paths: [clusters/dev] } }\n  - { name: web-prod, repository: ${uri}, strategy: { semver: ">=1.0.0" }, update: { paths: [clusters/prod] } }\n`,
    '.tidemark/promotions.yaml': `pipelines:\n  - name: ${pipeline}\n    stages:\n      - { name: dev, cluster: ${dev} }\n      - { name: prod, cluster: ${prod}, policies: [web-prod], gates: { soak: 2s } }\n`,
    'clusters/dev/web.yaml': deployment(`${uri}:1.0.0`),
    'clusters/prod/web.yaml': deployment(`${uri}:1.0.0`),
  });
  queue = await createScratchQueue('promoter', { maxReceiveCount: 2 });
  const events = new EventBridgeClient({});
  const rule = uniqueName('promoter');
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
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: { provider: 'git', url: remote.url, branch: 'main', authSecretName: env.resources.secrets.configRepo },
    clusters: [dev, prod].map((name) => ({
      name,
      eksClusterName: name,
      region: env.aws.region,
      path: `clusters/${name}`,
    })),
    images: { ecrRepositories: [repositoryName] },
  });
  process.env.TIDEMARK_TABLE_NAME = env.resources.tableName;
  process.env.TIDEMARK_PROMOTER_QUEUE_URL = queue.url;
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  ({ handler } = await import('./handler'));
});

const run = () =>
  runQueueOnce({
    queueUrl: queue.url,
    handler: handler as never,
    functionName: 'promoter',
    waitTimeSeconds: 1,
    releaseFailed: true,
  });

describe('promoter handler', () => {
  it('turns a deployment event on the bus into a prod commit right after the soak, through its own wake-up', async () => {
    const at = Date.now();
    await new EventBridgeClient({}).send(
      new PutEventsCommand({
        Entries: [
          {
            Source: deploymentEventSource,
            DetailType: deploymentDetailType,
            Detail: JSON.stringify(
              deploymentEvent({
                at: new Date(at).toISOString(),
                cluster: dev,
                sync: { namespace: 'tidemark-system', name: 'dev' },
                repo: remote.url,
                revision: 'c'.repeat(40),
                kind: 'deployed',
                reason: 'ReconciliationSucceeded',
                images: [{ name: `${uri}:2.0.0`, digest }],
              }),
            ),
          },
        ],
      }),
    );
    await eventually(async () => {
      const batch = await run();
      expect(batch.failed).toEqual([]);
      return remote.file('clusters/prod/web.yaml')?.includes(`${uri}:2.0.0@${digest}`);
    }, 30_000);
    expect(Date.now() - at).toBeGreaterThanOrEqual(2000); // not before the soak ended
    expect(remote.history()[0]!.subject).toBe('Promote web-prod to 2.0.0 (dev → prod)');
  });

  it('fails a message that is no trigger on its own, towards the dead-letter queue', async () => {
    await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"source":"aws.ecr"}' }));
    const batch = await run();
    expect(batch.failed).toHaveLength(1);
    // Past the queue's maxReceiveCount (2), SQS moves it to the dead-letter queue on the next receive.
    const dead = await eventually(async () => {
      await run();
      const letters = await queue.deadLetters(1);
      return letters.length > 0 && letters;
    }, 20_000);
    expect(dead).toEqual(['{"source":"aws.ecr"}']);
  });

  it('runs on the schedule and reports where each candidate stands', async () => {
    const result = (await handler(
      scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/promote'),
      lambdaContext('promoter'),
    )) as PromotionRun;
    expect(result.standings).toMatchObject([{ policy: 'web-prod', state: 'promoted', candidate: { digest } }]);
  });
});
