import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunFolderResult } from '../../../engine/resources/run-folder';
import { lambdaContext, scheduledEvent, sqsEvent } from '../../../local/invoke';
import { scramVerifier } from '../../../reconcilers/postgres/scram';
import { createGitRepo, type TestGitRepo } from '../../../test/support/git-repo';
import { localEnv, uniqueName } from '../../../test/support/local-env';

// The PostgreSQL reconciler Lambda against the real local server, with every channel a secret could leak through
// captured: each log line the handler writes (at DEBUG), the status and every other item in the State table, each Slack
// post and SNS message of this folder, and the server's own statement log. The passwords must be in none of them.

const folder = uniqueName('db');
const id = folder.replaceAll('-', '_');
const sqs = new SQSClient({});
let repo: TestGitRepo;
let inbox: string;
let handler: typeof import('./handler').handler;
const slackPath = `/services/T000TEST/B000TEST/${folder}`;
const secretValues: string[] = [];
const printed: string[] = [];

const role = (name: string, extra = '') => `apiVersion: tidemark.dev/v1alpha1
kind: PostgresRole
metadata:
  name: ${name.replaceAll('_', '-')}
spec:
  name: ${name}
  passwordSecret: { name: tidemark/postgres/${name} }
${extra}`;

async function newPassword(name: string, rotate = false): Promise<string> {
  const password = `Pw-${randomBytes(16).toString('base64url')}`;
  secretValues.push(password);
  const secrets = new SecretsManagerClient({});
  if (rotate)
    await secrets.send(new PutSecretValueCommand({ SecretId: `tidemark/postgres/${name}`, SecretString: password }));
  else await secrets.send(new CreateSecretCommand({ Name: `tidemark/postgres/${name}`, SecretString: password }));
  return password;
}

const push = () =>
  handler(
    sqsEvent(
      [
        {
          body: JSON.stringify({
            repo: repo.url,
            branch: 'main',
            revision: repo.head(),
            pushedAt: new Date().toISOString(),
            deliveryId: uniqueName('delivery'),
          }),
        },
      ],
      'arn:aws:sqs:us-east-1:123456789012:reconciler-db',
    ),
    lambdaContext(`reconciler-${folder}`),
  );

const scan = async () =>
  (await handler(
    scheduledEvent(`arn:aws:scheduler:us-east-1:123456789012:schedule/default/${folder}`),
    lambdaContext(`reconciler-${folder}`),
  )) as RunFolderResult;

function useConfig(settings: Record<string, unknown>): void {
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
    clusters: [{ name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' }],
    images: { ecrRepositories: ['web'] },
    alerts: { slackWebhookSecretName: `tidemark/test-slack-${folder}`, renotifyHours: 24 },
    resources: [
      {
        name: folder,
        path: 'resources/db',
        reconciler: 'postgres',
        ownerId: `acme-${folder}`,
        selfHeal: true,
        settings: {
          host: localEnv().postgres.host,
          port: localEnv().postgres.port,
          adminSecretName: localEnv().postgres.adminSecretName,
          ssl: 'disable',
          ...settings,
        },
      },
    ],
  });
}

async function freshHandler(): Promise<void> {
  vi.resetModules();
  ({ handler } = await import('./handler'));
}

beforeAll(async () => {
  secretValues.push(localEnv().postgres.adminPassword);
  await newPassword(`${id}_app`);
  repo = await createGitRepo('db-config', { 'resources/db/app.yaml': role(`${id}_app`) });
  inbox = (await sqs.send(new CreateQueueCommand({ QueueName: `alerts-${folder}` }))).QueueUrl!;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }),
  );
  await new SNSClient({}).send(
    new SubscribeCommand({
      TopicArn: localEnv().resources.alertsTopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: { FilterPolicy: JSON.stringify({ cluster: [`resources/${folder}`] }) },
    }),
  );
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({
      Name: `tidemark/test-slack-${folder}`,
      SecretString: `${localEnv().slack.controlUrl}${slackPath}`,
    }),
  );
  useConfig({});
  process.env.TIDEMARK_RESOURCES_FOLDER = folder;
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  // Every line the handler writes to stdout or stderr: Powertools logs, EMF metrics.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  await freshHandler();
});

afterAll(() => {
  vi.restoreAllMocks();
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

describe('the PostgreSQL reconciler Lambda', () => {
  it('creates the role with the password from its secret', async () => {
    expect(await push()).toEqual({ batchItemFailures: [] });
    const login = new pg.Client({
      host: localEnv().postgres.host,
      port: localEnv().postgres.port,
      user: `${id}_app`,
      password: secretValues.at(-1),
      database: 'postgres',
    });
    await login.connect();
    await login.end();
  });

  it('reverts a password changed by hand and alerts on it, naming the secret, not the password', async () => {
    const admin = new pg.Client({ connectionString: localEnv().postgres.url });
    await admin.connect();
    const typed = `Typed-${randomBytes(8).toString('hex')}`;
    secretValues.push(typed);
    // As psql's \password does it: the server (and its log) gets the verifier, not the password.
    await admin.query(`ALTER ROLE ${id}_app PASSWORD '${scramVerifier(typed)}'`);
    await admin.end();
    const result = await scan();
    expect(result).toMatchObject({ kind: 'scanned', healed: 1, announced: { alerts: ['appeared'] } });
    await newPassword(`${id}_app`, true);
    expect(await push()).toEqual({ batchItemFailures: [] });
  });

  it('fails with the reason when the server is unreachable, deleting nothing, and says so once', async () => {
    repo.commit({ 'resources/db/extra.yaml': role(`${id}_extra`) });
    await newPassword(`${id}_extra`);
    await push();
    repo.commit({ 'resources/db/extra.yaml': null });
    useConfig({ port: 1 });
    await freshHandler();
    const down = (await push()) as unknown;
    expect(down).toEqual({ batchItemFailures: [] });
    // The failed push announced it once; the scheduled runs retry the reconcile and stay quiet while it fails.
    const failing = [await scan(), await scan()];
    expect(failing.map((r) => r.kind)).toEqual(['reconciled', 'reconciled']);
    expect(failing.flatMap((r) => r.announced?.alerts ?? [])).toEqual([]);
    const texts = (
      (await (await fetch(`${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`)).json()) as {
        body: { text: string };
      }[]
    ).map((m) => m.body.text);
    expect(texts.at(-1)).toContain('cannot connect to PostgreSQL at 127.0.0.1:1/postgres');
    const admin = new pg.Client({ connectionString: localEnv().postgres.url });
    await admin.connect();
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${id}_extra`])).rowCount).toBe(1);
    await admin.end();
    useConfig({});
    await freshHandler();
    await push();
  });

  it('never lets a password reach a log line, the State table, Slack, SNS or the server log', async () => {
    const slack = JSON.stringify(
      await (await fetch(`${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`)).json(),
    );
    const sns: string[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of out.Messages ?? []) {
        sns.push(m.Body ?? '');
        await sqs.send(new DeleteMessageCommand({ QueueUrl: inbox, ReceiptHandle: m.ReceiptHandle }));
      }
    }
    const table = await new DynamoDBClient({}).send(new ScanCommand({ TableName: localEnv().resources.tableName }));
    const items = (table.Items ?? []).map((item) => {
      // The folder's status is stored compressed; read what it holds, not the bytes.
      const data = item.data?.B ? gunzipSync(item.data.B).toString('utf8') : '';
      return `${JSON.stringify(item)}${data}`;
    });
    const serverLog = readFileSync(join(localEnv().stateDir, 'postgres.log'), 'utf8');

    const logs = printed.join('');
    expect(logs).toContain(`reconciler-${folder}`);
    expect(slack).toContain('PostgresRole');
    expect(sns.join('')).toContain('PostgresRole');
    expect(items.join('')).toContain(`PostgresRole/${id}_app`);
    expect(serverLog).toContain(`ALTER ROLE "${id}_app" WITH PASSWORD 'SCRAM-SHA-256$`);
    for (const secret of secretValues) {
      for (const [where, text] of Object.entries({
        logs,
        slack,
        sns: sns.join('\n'),
        table: items.join('\n'),
        serverLog,
      })) {
        expect(text.includes(secret), `${where} contains a password`).toBe(false);
      }
    }
  });
});
