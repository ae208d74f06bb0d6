import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbResourcesStatusStore } from '../../../adapters/resources/dynamodb-status-store';
import type { RunFolderResult } from '../../../engine/resources/run-folder';
import {
  createScratchQueue,
  lambdaContext,
  runQueueOnce,
  type ScratchQueue,
  scheduledEvent,
} from '../../../local/invoke';
import type { SnsEnvelope } from '../../../test/support/aws';
import { createGitRepo, type TestGitRepo } from '../../../test/support/git-repo';
import { localEnv, uniqueName } from '../../../test/support/local-env';

// The Route 53 reconciler Lambda end to end, locally: declarations in a repo on the real git server, sync requests on
// a real (moto) SQS queue drained as Lambda's event source mapping does, the zone in moto's Route 53, status and alert
// state in moto's DynamoDB, alerts through moto's SNS (a filtered subscription of this file's own) and the local
// Slack receiver (a webhook path of this file's own).

const folderName = uniqueName('dns');
const target = `resources/${folderName}`;
const route53 = new Route53Client({});
const sqs = new SQSClient({});
let zone: string;
let zoneId: string;
let repo: TestGitRepo;
let queue: ScratchQueue;
let inbox: string;
let handler: typeof import('./handler').handler;
const slackPath = `/services/T000TEST/B000TEST/${folderName}`;

const recordSet = (name: string, ttl: number) => `apiVersion: tidemark.dev/v1alpha1
kind: DnsRecordSet
metadata:
  name: ${name}
spec:
  zone: ${zone}
  name: ${name}
  type: A
  ttl: ${ttl}
  values: [192.0.2.1]
`;

async function slackTexts(): Promise<string[]> {
  const url = `${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`;
  return ((await (await fetch(url)).json()) as { body: { text: string } }[]).map((m) => m.body.text);
}

const snsSeen: SnsEnvelope[] = [];
async function snsMessages(): Promise<SnsEnvelope[]> {
  for (let i = 0; i < 2; i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    for (const m of out.Messages ?? []) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: inbox, ReceiptHandle: m.ReceiptHandle }));
      snsSeen.push(JSON.parse(m.Body ?? '{}') as SnsEnvelope);
    }
  }
  return snsSeen;
}

async function push(): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: JSON.stringify({
        repo: repo.url,
        branch: 'main',
        revision: repo.head(),
        pushedAt: new Date().toISOString(),
        deliveryId: uniqueName('delivery'),
      }),
    }),
  );
  const run = await runQueueOnce({ queueUrl: queue.url, handler, waitTimeSeconds: 2 });
  expect(run.failed).toEqual([]);
}

/** A scheduled run, which scans (the folder is reconciled at the head by then). */
async function scan(run = handler): Promise<Extract<RunFolderResult, { kind: 'scanned' }>> {
  const result = (await run(
    scheduledEvent(`arn:aws:scheduler:us-east-1:123456789012:schedule/default/${folderName}`),
    lambdaContext(`reconciler-${folderName}`),
  )) as RunFolderResult;
  if (result.kind !== 'scanned') throw new Error(`expected a scan, got ${JSON.stringify(result)}`);
  return result;
}

const ttlOf = async (name: string) =>
  (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets?.find(
    (r) => r.Name === `${name}.${zone}.` && r.Type === 'A',
  )?.TTL;

async function setTtlByHand(name: string, ttl: number): Promise<void> {
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: `${name}.${zone}`,
              Type: 'A',
              TTL: ttl,
              ResourceRecords: [{ Value: '192.0.2.1' }],
            },
          },
        ],
      },
    }),
  );
}

beforeAll(async () => {
  zone = `${folderName}.example.com`;
  zoneId = (
    await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: zone }))
  ).HostedZone!.Id!.replace('/hostedzone/', '');
  repo = await createGitRepo('dns-config', { 'resources/dns/api.yaml': recordSet('api', 300) });
  queue = await createScratchQueue('reconciler-dns');
  inbox = (await sqs.send(new CreateQueueCommand({ QueueName: `alerts-${folderName}` }))).QueueUrl!;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }),
  );
  await new SNSClient({}).send(
    new SubscribeCommand({
      TopicArn: localEnv().resources.alertsTopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: { FilterPolicy: JSON.stringify({ cluster: [target] }) },
    }),
  );
  const slackSecret = `tidemark/test-slack-${folderName}`;
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: slackSecret, SecretString: `${localEnv().slack.controlUrl}${slackPath}` }),
  );
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
    clusters: [{ name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' }],
    images: { ecrRepositories: ['web'] },
    alerts: { slackWebhookSecretName: slackSecret, renotifyHours: 24 },
    resources: [
      {
        name: folderName,
        path: 'resources/dns',
        reconciler: 'route53',
        ownerId: `acme-${folderName}`,
        settings: { hostedZoneIds: [zoneId] },
      },
    ],
  });
  process.env.TIDEMARK_RESOURCES_FOLDER = folderName;
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  ({ handler } = await import('./handler'));
});

describe('the Route 53 reconciler Lambda', () => {
  it('applies the folder at the pushed head and records each object and the revision in the State table', async () => {
    await push();
    expect(await ttlOf('api')).toBe(300);
    const stored = await new DynamoDbResourcesStatusStore(localEnv().resources.tableName).load(folderName);
    expect(stored?.status).toMatchObject({
      name: folderName,
      lastAppliedRevision: repo.head(),
      conditions: [{ type: 'Ready', status: 'True' }],
      objects: [{ key: `DnsRecordSet/api.${zone} A`, action: 'created', source: 'resources/dns/api.yaml:1' }],
    });
  });

  it('alerts once for a hand change however often it scans, once more when it changes, and when it is resolved', async () => {
    expect((await scan()).announced.alerts).toEqual([]);
    await setTtlByHand('api', 60);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(...(await scan()).announced.alerts);
    expect(sent).toEqual(['appeared']);
    expect(await ttlOf('api')).toBe(60); // no self-heal: reported, not reverted
    const [slack] = await slackTexts();
    expect(slack).toContain(`Drift in ${target}: 1 finding differs from Git`);
    expect(slack).toContain(`DnsRecordSet/api.${zone} A differs from Git in 1 field`);
    const [drift] = await snsMessages();
    expect(drift?.Subject).toBe(`Tidemark: drift in ${target}, 1 finding differs from Git`);
    expect(drift?.Message).toContain('ttl 300 → 60');

    // Another hand change to the same field is another drift: said once more, with the new value.
    await setTtlByHand('api', 30);
    expect([...(await scan()).announced.alerts, ...(await scan()).announced.alerts]).toEqual(['changed']);
    expect((await snsMessages()).at(-1)?.Message).toContain('ttl 300 → 30');

    await setTtlByHand('api', 300);
    expect((await scan()).announced.alerts).toEqual(['resolved']);
    expect((await scan()).announced.alerts).toEqual([]);
    expect((await snsMessages()).map((m) => m.MessageAttributes?.kind?.Value)).toEqual(['drift', 'drift', 'resolved']);
  });

  it('reconciles a changed declaration on the next push, without calling it drift', async () => {
    repo.commit({ 'resources/dns/api.yaml': recordSet('api', 120), 'resources/dns/www.yaml': recordSet('www', 300) });
    await push();
    expect(await ttlOf('api')).toBe(120);
    expect(await ttlOf('www')).toBe(300);
    expect(await slackTexts()).toHaveLength(3); // the three drift messages above, nothing new
  });

  it('applies nothing from a broken commit, says where in its status, and raises one scan-failing alert', async () => {
    repo.commit({ 'resources/dns/www.yaml': recordSet('www', 300).replace('ttl: 300', 'ttl: forty') });
    await push();
    expect(await ttlOf('www')).toBe(300);
    const { status } = (await new DynamoDbResourcesStatusStore(localEnv().resources.tableName).load(folderName))!;
    expect(status.conditions).toMatchObject([
      {
        type: 'Ready',
        status: 'False',
        reason: 'InvalidDeclaration',
        message: expect.stringContaining('resources/dns/www.yaml:9: spec.ttl'),
      },
      { type: 'Stalled', status: 'True' },
    ]);
    expect(status.lastAppliedRevision).not.toBe(repo.head());
    expect((await slackTexts()).at(-1)).toContain(
      `Drift scan failing for ${target}: revision ${repo.head()} has broken declarations: resources/dns/www.yaml:9: spec.ttl`,
    );
    // Announced once, by the push: the scans that follow fail the same way and say nothing more.
    const failing = [await scan(), await scan()];
    expect(failing.flatMap((r) => r.announced.alerts)).toEqual([]);
    repo.commit({ 'resources/dns/www.yaml': recordSet('www', 300) });
    await push();
    // The push reconciled cleanly and saw every object, so it said once that the folder can be read again.
    expect((await slackTexts()).at(-1)).toContain(`Drift scan recovered for ${target}`);
    expect((await scan()).announced.alerts).toEqual([]);
  });

  it('reverts a hand change at the next scan when the folder has self-heal, and says it did', async () => {
    const config = JSON.parse(process.env.TIDEMARK_CONFIG!);
    config.resources[0].selfHeal = true;
    process.env.TIDEMARK_CONFIG = JSON.stringify(config);
    // A config change is a redeploy: a new container reads it at its cold start.
    vi.resetModules();
    const { handler: healing } = await import('./handler');
    await setTtlByHand('www', 5);
    const result = await scan(healing);
    expect(result).toMatchObject({ kind: 'scanned', healed: 1, announced: { alerts: ['appeared'] } });
    expect(await ttlOf('www')).toBe(300);
    expect((await slackTexts()).at(-1)).toContain('differs from Git in 1 field, reverted to Git');
  });

  it('refuses a malformed sync request, which goes to the dead-letter queue after its retries', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"repo": 1}' }));
    const run = await runQueueOnce({ queueUrl: queue.url, handler, waitTimeSeconds: 2, releaseFailed: true });
    expect(run.failed).toHaveLength(1);
    for (let i = 0; i < 3; i++)
      await runQueueOnce({ queueUrl: queue.url, handler, waitTimeSeconds: 1, releaseFailed: true });
    expect(await queue.deadLetters()).toEqual(['{"repo": 1}']);
  });
});
