import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { SlackWebhook } from '../../adapters/alerts/slack-webhook';
import { SnsAlerts } from '../../adapters/alerts/sns-alerts';
import { EventBridgeDeployments } from '../../adapters/events/eventbridge-deployments';
import { FlushQueue, StormFlush } from '../../adapters/events/flush-queue';
import {
  deploymentCreated,
  deploymentStatusCreated,
  deploymentsListed,
  statusCreated,
} from '../../adapters/github/fixtures/deployments-recordings';
import { type Exchange, replayGitHub } from '../../adapters/github/fixtures/replay-github';
import { GitHubDeployments } from '../../adapters/github/github-deployments';
import { VersionedItems } from '../../adapters/state/versioned-items';
import type { DeploymentEvent, DeploymentEventInput } from '../../core/notify/deployment-event';
import { deploymentEvent } from '../../core/notify/deployment-event';
import { NotificationSettings } from '../../core/notify/notification-settings';
import type { SyncNotifyState } from '../../core/notify/notify-state';
import { createScratchQueue, type ScratchQueue } from '../../local/invoke';
import { eventually } from '../../test/support/eventually';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { testChannels } from './notifier-test-channels';
import { type NotifierDeps, notifyEvent, notifyFlush, syncItemId } from './notify';

// The notifier's decisions and deliveries on the local environment: its records in moto's DynamoDB (the State table),
// Slack on a webhook path of this test's own, SNS and EventBridge (moto) read back as subscribers would. GitHub's REST
// API has no emulator: its calls are replayed from recorded responses (adapters/github/fixtures).

const R1 = '1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a';
const R2 = '2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b';
const R3 = '3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c';

let cluster: string;
let channels: Awaited<ReturnType<typeof testChannels>>;
let flushQueue: ScratchQueue;
let clock = 0;

/** An event of this test's cluster, a second after the previous one. */
function event(kind: DeploymentEvent['kind'], overrides: Partial<DeploymentEventInput> = {}): DeploymentEvent {
  clock += 1000;
  const failed = kind === 'failed' || kind === 'degraded';
  return deploymentEvent({
    at: new Date(Date.now() + clock).toISOString(),
    cluster,
    sync: { namespace: 'shop', name: 'web' },
    repo: 'https://github.com/acme/config.git',
    revision: failed ? R2 : R1,
    subject: failed ? 'Break the indentation' : 'Update web to 1.2.0',
    kind,
    reason: failed ? 'RenderFailed' : kind === 'recovered' ? 'Recovered' : 'ReconciliationSucceeded',
    message: failed
      ? 'clusters/prod/web.yaml (document 0): is not valid YAML: bad indentation at line 7, column 3. Fix the YAML syntax'
      : 'Applied',
    ...(failed ? { location: { file: 'clusters/prod/web.yaml', line: 7 } } : {}),
    health: { current: 2, inProgress: 0, failed: 0, notReady: [] },
    ...overrides,
  });
}

function deps(
  options: {
    github?: Exchange[];
    slackAttempts?: number;
    slackTimeoutMs?: number;
    foldSeconds?: number;
    slackOnly?: boolean;
  } = {},
) {
  const replay = replayGitHub(options.github ?? []);
  const github = new GitHubDeployments({
    repoUrl: 'https://github.com/acme/config.git',
    credentials: { token: 'ghs_fixture' },
    octokitOptions: { request: { fetch: replay.fetch, retries: 0 }, throttle: { enabled: false } },
  });
  const d: NotifierDeps = {
    items: new VersionedItems(localEnv().resources.tableName),
    settings: NotificationSettings.parse({
      foldSeconds: options.foldSeconds ?? 1,
      routes: [
        { channels: options.slackOnly ? [{ slack: channels.slackSecret }] : ['sns', { slack: channels.slackSecret }] },
      ],
    }),
    slack: (secret) =>
      SlackWebhook.fromSecret(secret, {
        maxAttempts: options.slackAttempts ?? 1,
        ...(options.slackTimeoutMs ? { timeoutMs: options.slackTimeoutMs } : {}),
      }),
    sns: new SnsAlerts(localEnv().resources.alertsTopicArn),
    github: options.github && {
      commitStatuses: true,
      deployments: true,
      setCommitStatus: (...a) => github.setCommitStatus(...a),
      deploymentFor: (...a) => github.deploymentFor(...a),
      setDeploymentState: (...a) => github.setDeploymentState(...a),
    },
    eventBridge: new EventBridgeDeployments(),
    flushes: new FlushQueue(flushQueue.url),
    now: () => new Date(),
  };
  return { deps: d, github: replay };
}

/** Waits for the flush the notifier scheduled (SQS delays it by the fold time) and handles it, as the handler does. */
async function flushDue(d: NotifierDeps): Promise<number> {
  const sqs = new SQSClient({});
  let handled = 0;
  await eventually(
    async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: flushQueue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of out.Messages ?? []) {
        await notifyFlush(StormFlush.parse(JSON.parse(m.Body!)), d);
        handled++;
      }
      const left = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: flushQueue.url,
          AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
        }),
      );
      return handled > 0 && Number(left.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0) === 0;
    },
    20_000,
    'the scheduled flush',
  );
  return handled;
}

beforeEach(async () => {
  cluster = uniqueName('notify');
  channels = await testChannels(cluster);
  flushQueue = await createScratchQueue('notify-flush');
});

describe('notifier', () => {
  it('sends each transition once per channel, and GitHub a status and a Deployment for the right revision', async () => {
    const { deps: d, github } = deps({
      github: [
        // R1 deployed: status, Deployment 1, success
        statusCreated(R1, cluster, 'success', 'shop/web: deployed, 2/2 objects healthy'),
        deploymentsListed(R1, cluster),
        deploymentCreated(1, R1, cluster),
        deploymentStatusCreated(1, cluster, 'success'),
        // R2 broken: failure on R2, Deployment 2 failure
        statusCreated(R2, cluster, 'failure', expectedFailure()),
        deploymentsListed(R2, cluster),
        deploymentCreated(2, R2, cluster),
        deploymentStatusCreated(2, cluster, 'failure'),
        // R3, the fix, deployed: success, Deployment 3, and Deployment 1 (what ran before) inactive
        statusCreated(R3, cluster, 'success', 'shop/web: deployed, 2/2 objects healthy'),
        deploymentsListed(R3, cluster),
        deploymentCreated(3, R3, cluster),
        deploymentStatusCreated(3, cluster, 'success'),
        deploymentStatusCreated(1, cluster, 'inactive'),
      ],
    });
    await notifyEvent(event('deployed'), d);
    await notifyEvent(event('deployed'), d); // the agent again after a restart: not a new deploy
    await notifyEvent(event('failed'), d);
    await notifyEvent(event('failed'), d); // the same failure at the next retry: not news
    expect(await flushDue(d)).toBe(1);
    await notifyEvent(event('recovered', { revision: R3 }), d);
    await notifyEvent(event('deployed', { revision: R3, subject: 'Fix the indentation' }), d);

    const slack = (await channels.slack()).map((m) => m.text);
    expect(slack).toEqual([
      `🚀 ${cluster}: shop/web deployed 1a1a1a1: Update web to 1.2.0`,
      `❌ ${cluster}: shop/web failed (RenderFailed)`,
      `✅ ${cluster}: shop/web recovered`,
      `🚀 ${cluster}: shop/web deployed 3c3c3c3: Fix the indentation`,
    ]);
    const sns = await eventually(async () => {
      const got = await channels.sns();
      return got.length >= 4 && got;
    });
    expect(sns.map((m) => m.kind)).toEqual(['deployed', 'failed', 'recovered', 'deployed']);
    expect(sns[1]!.message).toContain('In clusters/prod/web.yaml, line 7.');
    const bus = await eventually(async () => {
      const got = await channels.bus();
      return got.length >= 4 && got;
    });
    expect(bus.map((e) => `${e.kind} ${e.revision?.slice(0, 2)}`)).toEqual([
      'deployed 1a',
      'failed 2b',
      'recovered 3c',
      'deployed 3c',
    ]);
    expect(github.pending).toEqual([]);
  });

  it('sends nothing twice when a delivery is retried after one channel failed', async () => {
    const { deps: d } = deps();
    await channels.failSlack(500, 1);
    const deployed = event('deployed');
    await expect(notifyEvent(deployed, d)).rejects.toThrow(/could not deliver slack/);
    expect(await channels.slack()).toHaveLength(0);
    // SQS redelivers the same message; then once more, as at-least-once delivery may.
    await notifyEvent(deployed, d);
    await notifyEvent(deployed, d);
    expect(await channels.slack()).toHaveLength(1);
    await eventually(async () => (await channels.bus()).length >= 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await channels.sns()).map((m) => m.kind)).toEqual(['deployed']);
    expect((await channels.bus()).map((e) => e.kind)).toEqual(['deployed']);
    const record = await d.items.get<SyncNotifyState, unknown>(syncItemId(deployed));
    expect(record.outbox).toEqual([]);
    expect(record.state?.deployed?.revision).toBe(R1);
  });

  it('does not send again a Slack message that timed out after Slack took it (maybe delivered)', async () => {
    const { deps: d } = deps({ slackTimeoutMs: 1500 });
    // The receiver records the post (Slack posted it) and answers after 4 s, past the webhook's 1.5 s.
    await fetch(`${localEnv().slack.controlUrl}/fail`, {
      method: 'POST',
      body: JSON.stringify({ delayMs: 4000, path: channels.slackPath }),
    });
    const deployed = event('deployed');
    const result = await notifyEvent(deployed, d);
    expect(result.delivered).toContain(`slack:${channels.slackSecret} (maybe)`);
    // SQS redelivers the same message anyway (at least once): still one post.
    await notifyEvent(deployed, d);
    expect(await channels.slack()).toHaveLength(1);
    const record = await d.items.get<SyncNotifyState, unknown>(syncItemId(deployed));
    expect(record.outbox).toEqual([]);
  });

  it('folds 20 Syncs failing at once for one cause into one message, and one when they recover', async () => {
    // Slack alone: what is counted here is messages, and each channel is decided the same way.
    const { deps: d } = deps({ slackOnly: true });
    const names = Array.from({ length: 20 }, (_, i) => `web-${i}`);
    const gitDown = (name: string) =>
      event('failed', {
        sync: { namespace: 'shop', name },
        repo: `http://127.0.0.1:9/${name}.git`,
        revision: undefined,
        reason: 'FetchFailed',
        message: `Fetching http://tidemark:s3cret@127.0.0.1:9/${name}.git (main) failed: connect ECONNREFUSED 127.0.0.1:9`,
        location: undefined,
      });
    // One after another, as one notifier invocation handles a batch. In AWS several invocations (one per message
    // group) may update the storm at once, which its conditional writes make safe; moto's DynamoDB does not make a
    // conditional write atomic under concurrent requests (two writes at one version were both accepted), so the
    // concurrency itself is left to versioned-items.int.test.ts, one conflict at a time.
    const inTurn = async (each: (name: string) => Promise<unknown>) => {
      for (const name of names) await each(name);
    };
    const deployed = (name: string) => event('deployed', { sync: { namespace: 'shop', name } });
    await inTurn((name) => notifyEvent(deployed(name), d));
    const before = (await channels.slack()).length;
    expect(before).toBe(20);

    await inTurn((name) => notifyEvent(gitDown(name), d));
    await flushDue(d);
    await inTurn((name) => notifyEvent(deployed(name), d)); // the agent says "deployed" again; R1 is not new
    const slack = (await channels.slack()).slice(before).map((m) => m.text);
    expect(slack).toEqual([
      `❌ ${cluster}: 20 Syncs failing: cannot fetch from 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9`,
      `✅ ${cluster}: 20 Syncs recovered from: cannot fetch from 127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9`,
    ]);
    expect(JSON.stringify(await channels.slack())).not.toContain('s3cret');
  });
});

function expectedFailure(): string {
  const text =
    'shop/web: RenderFailed: clusters/prod/web.yaml (document 0): is not valid YAML: bad indentation at line 7, column 3. Fix the YAML syntax';
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}
