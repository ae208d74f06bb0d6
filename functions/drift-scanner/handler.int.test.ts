import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { syncFolder } from '../../engine/sync/sync-folder';
import { lambdaContext, scheduledEvent } from '../../local/invoke';
import type { SnsEnvelope } from '../../test/support/aws';
import { uniqueNamespace } from '../../test/support/cluster';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv, uniqueName } from '../../test/support/local-env';

// The scheduled drift scanner end to end, locally: the config repo on the real git server, the real API server
// (reached through KUBECONFIG, as the handler does outside AWS), alert state and drift cache in moto's DynamoDB,
// alerts through moto's SNS (read back from the alerts inbox queue) and the local Slack receiver.

const kubectl = (...args: string[]) => execFileSync('kubectl', args, { stdio: 'pipe' }).toString();

const app = (ns: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: registry.example.com/web:1.0.0, resources: { requests: { cpu: 1000m } } }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

describe('drift-scanner handler', () => {
  const cluster = uniqueName('scan');
  let ns: string;
  let handler: typeof import('./handler').handler;
  const snsSeen: SnsEnvelope[] = [];

  const run = async () => {
    const { clusters } = await handler(
      scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/drift'),
      lambdaContext('drift-scanner'),
    );
    expect(clusters).toHaveLength(1);
    return clusters[0]!;
  };
  /** Alerts for this test's cluster only: other test files share the Slack receiver and the alerts topic. */
  // This file's own Slack webhook (a path of its own on the shared receiver), named by a secret of its own.
  const slackPath = `/services/T000TEST/B000TEST/${cluster}`;
  const slackSecret = `tidemark/test-slack-${cluster}`;
  const slackMessages = async () => {
    const url = `${localEnv().slack.controlUrl}/messages?path=${encodeURIComponent(slackPath)}`;
    return ((await (await fetch(url)).json()) as { body: { text: string } }[]).map((m) => m.body.text);
  };
  // A queue of this file's own, subscribed to the alerts topic with a filter on `cluster`, as an on-call tool would
  // subscribe: other tests and the demo read the shared inbox queue and would take these messages.
  let inbox: string;
  const seenIds = new Set<string>();
  const snsKinds = async () => {
    const sqs = new SQSClient({});
    for (let i = 0; i < 3; i++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of out.Messages ?? []) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: inbox, ReceiptHandle: m.ReceiptHandle }));
        const envelope = JSON.parse(m.Body ?? '{}') as SnsEnvelope & { MessageId: string };
        // SQS may deliver a message twice; SNS's MessageId tells.
        if (!seenIds.has(envelope.MessageId)) snsSeen.push(envelope);
        seenIds.add(envelope.MessageId);
      }
    }
    return snsSeen.map((m) => m.MessageAttributes?.kind?.Value);
  };

  beforeAll(async () => {
    ns = await uniqueNamespace('scanner');
    const sqs = new SQSClient({});
    inbox = (await sqs.send(new CreateQueueCommand({ QueueName: `drift-alerts-${cluster}` }))).QueueUrl ?? '';
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
    const repo = await createGitRepo('drift-config', {
      'clusters/x/app.yaml': app(ns),
      '.tidemark/drift.yaml': readFileSync('examples/config-repo/.tidemark/drift.yaml', 'utf8'),
    });
    process.env.TIDEMARK_CONFIG = JSON.stringify({
      configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
      clusters: [{ name: cluster, eksClusterName: 'local', region: 'us-east-1', path: 'clusters/x' }],
      images: { ecrRepositories: ['web'] },
      alerts: { slackWebhookSecretName: slackSecret, renotifyHours: 24 },
    });
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    ({ handler } = await import('./handler'));
    // Apply what Git has as the cluster's agent would: no Sync object exists here, so the scanner expects the labels
    // of the default Sync `<agentNamespace>/<cluster name>`.
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-scanner-'));
    writeFileSync(join(dir, 'app.yaml'), app(ns));
    const client = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
    await syncFolder(client, {
      sync: { namespace: 'tidemark-system', name: cluster },
      dir,
      revision: repo.head(),
      prune: false,
      maxPruneShare: 0,
    });
    client.close();
  });

  afterAll(() => kubectl('delete', 'namespace', '--wait=false', ns));

  it('finds nothing and says nothing while the cluster matches Git, and emits its metrics per cluster', async () => {
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    const result = await run().finally(() => spy.mockRestore());
    const metrics = printed.flatMap((line) => (line.includes('"_aws"') ? [JSON.parse(line)] : []));
    for (const name of ['DriftedObjects', 'ScanDuration', 'ScanErrors']) {
      expect(metrics.find((m) => name in m)).toMatchObject({ cluster, service: 'drift-scanner' });
    }
    expect(result.outcome, JSON.stringify(result.outcome)).toMatchObject({
      kind: 'scanned',
      report: { findings: [], objectsScanned: 2 },
    });
    expect(result.alerts).toEqual([]);
  });

  it('sends one alert for 100 scans of the same drift, on SNS and Slack', async () => {
    kubectl('-n', ns, 'scale', 'deployment/web', '--replicas=7');
    const sent: string[] = [];
    let dryRuns = 0;
    for (let i = 0; i < 100; i++) {
      const result = await run();
      sent.push(...result.alerts);
      dryRuns += result.stats?.dryRuns ?? 0;
    }
    expect(sent).toEqual(['appeared']);
    // The first scan after the edit asked the API server, and the few after a controller's status write changed the
    // resourceVersion (a scale makes the Deployment's status move for a while); the rest reused the cached verdict.
    expect(dryRuns).toBeGreaterThanOrEqual(1);
    expect(dryRuns).toBeLessThan(10);
    expect(await slackMessages()).toEqual([expect.stringContaining(`Drift in ${cluster}: 1 finding differs from Git`)]);
    expect(await snsKinds()).toEqual(['drift']);
    expect(snsSeen[0]?.Subject).toBe(`Tidemark: drift in ${cluster}, 1 finding differs from Git`);
    expect(snsSeen[0]?.Message).toContain('spec.replicas 2 → 7 by kubectl (scale)');
    // 100 whole scans one after another (a config-repo fetch, LISTs and the drift verdicts each): about 0.9 s a scan on
    // a quiet two-core machine, but 1.2–3 s while other suites share the cores, which the 2-minute default does not
    // cover. Later tests build on this one's alerts, so a timeout here fails three tests.
  }, 400_000);

  it('sends one "resolved" when the drift clears', async () => {
    kubectl('-n', ns, 'scale', 'deployment/web', '--replicas=2');
    expect((await run()).alerts).toEqual(['resolved']);
    expect((await run()).alerts).toEqual([]);
    expect(await slackMessages()).toHaveLength(2);
    expect(await snsKinds()).toEqual(['drift', 'resolved']);
  });

  it('raises one "scan failing" for many failed scans, and one recovery', async () => {
    const good = process.env.KUBECONFIG;
    const broken = join(mkdtempSync(join(tmpdir(), 'tidemark-kubeconfig-')), 'config');
    writeFileSync(
      broken,
      readFileSync(good ?? '', 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'),
    );
    process.env.KUBECONFIG = broken;
    const failing = [await run(), await run(), await run()];
    process.env.KUBECONFIG = good;
    expect(failing.map((r) => r.outcome.kind)).toEqual(['failed', 'failed', 'failed']);
    expect(failing.flatMap((r) => r.alerts)).toEqual(['scan-failing']);
    expect((await run()).alerts).toEqual(['recovered']);
    expect(await snsKinds()).toEqual(['drift', 'resolved', 'scan-failing', 'resolved']);
    expect(snsSeen[2]?.Subject).toBe(`Tidemark: drift scan failing for ${cluster}`);
  });

  it('sends an alert Slack missed (down past its retries) to Slack alone on the next scan', async () => {
    const slackBefore = (await slackMessages()).length;
    const snsBefore = (await snsKinds()).length;
    // Five 500s: every attempt of the first delivery fails.
    await fetch(`${localEnv().slack.controlUrl}/fail`, {
      method: 'POST',
      body: JSON.stringify({ status: 500, times: 5, path: slackPath }),
    });
    kubectl('-n', ns, 'scale', 'deployment/web', '--replicas=9');
    const missed = await run();
    expect(missed.alerts).toEqual(['appeared']);
    expect(missed.deliveryErrors).toEqual([
      expect.stringMatching(/^slack: Slack did not accept the message after 5 attempts/),
    ]);
    expect((await slackMessages()).length).toBe(slackBefore);

    expect((await run()).alerts).toEqual(['appeared']);
    expect((await run()).alerts).toEqual([]);
    expect(await slackMessages()).toHaveLength(slackBefore + 1);
    // SNS took the alert the first time and never sees it again.
    expect((await snsKinds()).slice(snsBefore)).toEqual(['drift']);
  });
});
