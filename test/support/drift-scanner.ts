import { gunzipSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import type { ClusterScanResult } from '../../functions/drift-scanner/scan-cluster';
import { lambdaContext, scheduledEvent } from '../../local/invoke';
import type { SnsEnvelope } from './aws';
import { createGitRepo, type TestGitRepo } from './git-repo';
import { localEnv, uniqueName } from './local-env';

/**
 * The scheduled drift scanner's handler on the local environment, for one cluster of a test file's own: its config repo
 * on the real git server, a Slack webhook path and an SNS subscription (filtered on the cluster) of its own, and what
 * it left behind read back from every place it writes: Slack posts, SNS messages, State-table items (the drift cache's
 * gzip chunks unpacked) and its log lines. Call once per test file: the handler reads its configuration on import.
 */
export interface ScannerHarness {
  cluster: string;
  repo: TestGitRepo;
  /** Slack webhook path of this harness on the shared receiver. */
  slackPath: string;
  /** One scheduled run; its log lines are kept for {@link logLines}. */
  run(): Promise<ClusterScanResult>;
  /** Bodies posted to this harness's Slack path, oldest first. */
  slackPosts(): Promise<unknown[]>;
  /** SNS messages for this cluster so far (each once). */
  snsMessages(): Promise<SnsEnvelope[]>;
  /** This cluster's items in the State table, binary attributes gunzipped into text. */
  stateItems(): Promise<Record<string, unknown>[]>;
  /** Every line the handler printed (Powertools logs and EMF metrics) during `run`. */
  logLines(): string[];
}

export async function openScanner(options: {
  files: Record<string, string>;
  /** The cluster's folder in the repo. */
  path: string;
  prefix?: string;
}): Promise<ScannerHarness> {
  const cluster = uniqueName(options.prefix ?? 'scan');
  const slackPath = `/services/T000TEST/B000TEST/${cluster}`;
  const slackSecret = `tidemark/test-slack-${cluster}`;
  const sqs = new SQSClient({});
  const inbox = (await sqs.send(new CreateQueueCommand({ QueueName: `drift-alerts-${cluster}` }))).QueueUrl ?? '';
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }),
  );
  await new SNSClient({}).send(
    new SubscribeCommand({
      TopicArn: localEnv().resources.alertsTopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: { FilterPolicy: JSON.stringify({ cluster: [cluster] }) },
    }),
  );
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: slackSecret, SecretString: `${localEnv().slack.controlUrl}${slackPath}` }),
  );
  const repo = await createGitRepo(`${options.prefix ?? 'scan'}-config`, options.files);
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
    clusters: [{ name: cluster, eksClusterName: 'local', region: 'us-east-1', path: options.path }],
    images: { ecrRepositories: ['web'] },
    alerts: { slackWebhookSecretName: slackSecret, renotifyHours: 24 },
  });
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const { handler } = await import('../../functions/drift-scanner/handler');

  const printed: string[] = [];
  const sns: SnsEnvelope[] = [];
  const seen = new Set<string>();
  return {
    cluster,
    repo,
    slackPath,
    async run() {
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed.push(String(chunk));
        return true;
      });
      try {
        const { clusters } = await handler(
          scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/drift'),
          lambdaContext('drift-scanner'),
        );
        return clusters[0]!;
      } finally {
        spy.mockRestore();
      }
    },
    async slackPosts() {
      const url = `${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`;
      return ((await (await fetch(url)).json()) as { body: unknown }[]).map((m) => m.body);
    },
    async snsMessages() {
      for (let i = 0; i < 3; i++) {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const m of out.Messages ?? []) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: inbox, ReceiptHandle: m.ReceiptHandle }));
          const envelope = JSON.parse(m.Body ?? '{}') as SnsEnvelope & { MessageId: string };
          // SQS may deliver a message twice; SNS's MessageId tells.
          if (!seen.has(envelope.MessageId)) sns.push(envelope);
          seen.add(envelope.MessageId);
        }
      }
      return sns;
    },
    async stateItems() {
      return (await tableItems()).filter((item) => String(item.id).includes(cluster));
    },
    logLines: () => printed.flatMap((chunk) => chunk.split('\n')).filter((line) => line !== ''),
  };
}

/** Every item of the local State table, binary attributes (gzip chunks) unpacked into text. */
export async function tableItems(): Promise<Record<string, unknown>[]> {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new ScanCommand({ TableName: localEnv().resources.tableName, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) {
      for (const [key, value] of Object.entries(item)) {
        if (value instanceof Uint8Array) item[key] = unpacked(value);
      }
      items.push(item);
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

function unpacked(bytes: Uint8Array): string {
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch {
    return Buffer.from(bytes).toString('utf8');
  }
}
