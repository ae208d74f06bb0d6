import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parse } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { Timeline } from '../../core/timeline/timeline';
import { exportsFor, type LocalEnvironment, type LocalProcess } from '../environment';
import {
  ecrImageAction,
  type FunctionName,
  githubPush,
  lambdaContext,
  loadHandler,
  runQueueOnce,
  scheduledEvent,
  webhookDelivery,
} from '../invoke';
import { localDeploymentConfig } from '../local-deployment';
import { DEMO_AGENT, down, projectRoot, readEnvironment, seedExampleRepo, up } from '../local-environment';
import { localGit } from '../local-git';
import { startDetached, stopProcess } from '../processes';
import { AlertInbox, slackMessages } from './alert-inbox';
import { demoLatencies } from './demo-latencies';
import { notificationStep, startNotifier } from './notify-step';

/**
 * `tidemark demo`: the whole loop of DESIGN.md on the local environment, with the real handlers invoked in process on
 * the event shapes AWS delivers, and the real agent running as a local process:
 *
 *   1. an agent and a Sync for the example repo's `dev` path, Ready
 *   2. an image pushed to (moto) ECR → EventBridge event → SQS FIFO → image-updater handler → a commit
 *   3. the signed GitHub push webhook → webhook handler → the cluster's sync queue → the agent applies
 *   4. a hand change (`kubectl scale`, `kubectl set env`) → drift-scanner handler → Slack and SNS alerts
 *   5. self-heal turned on → the agent reverts the hand change → the next scan sends "resolved"
 *   6. deployment notifications: the agent's events queue → notifier handler → "deployed" on Slack; a broken commit →
 *      a failure alert on Slack and SNS naming file and line → the fix → "recovered", then "deployed" once
 *
 * Each step records itself on the timeline; the first step that does not happen ends the demo with its name.
 */
export interface DemoOptions {
  keep: boolean;
  /** Narration and progress (stderr). */
  say: (line: string) => void;
}

export interface DemoResult {
  timeline: Timeline;
  failedStep?: string;
  error?: string;
}

// A namespace of the demo's own, watched by the demo's agent alone: other agents and tests keep Syncs elsewhere.
export const SYNC_NAMESPACE = 'tidemark-demo';
export const SYNC_NAME = 'dev';
export const APP_NAMESPACE = 'shop-dev';
const PUSHED_TAG = '1.1.0';

/** A step that did not happen; its name ends the demo. */
class StepFailed extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { say } = options;
  const timeline = new Timeline(demoLatencies);
  const wasRunning = readEnvironment() !== undefined;
  let agent: ReturnType<typeof startDetached> | undefined;
  let inbox: AlertInbox | undefined;
  let notifier: ReturnType<typeof startNotifier> | undefined;
  let env: LocalEnvironment | undefined;
  try {
    env = await step('environment', () => up((line) => say(`  ${line}`)));
    timeline.record('environment', `local environment up (kube-apiserver ${env.kube.server})`);
    const demo = await prepare(env, say);
    agent = demo.agent;
    inbox = demo.alerts;
    notifier = startNotifier(env, 'dev', await demo.handler('notifier'));

    // 1. The agent and the Sync.
    await step('sync-ready', () =>
      waitFor(say, 'the Sync to apply the first revision', 90_000, async () => {
        const status = await syncStatus(demo.cluster);
        return status?.lastAppliedRevision === demo.initialRevision && ready(status) ? status : undefined;
      }),
    );
    timeline.record('sync-ready', `Sync ${SYNC_NAMESPACE}/${SYNC_NAME} Ready at ${demo.initialRevision.slice(0, 8)}`);
    say(`✔ the agent applied ${env.git.url}/${demo.repoName}.git clusters/dev`);

    // 2. CI pushes an image; the EventBridge event reaches the image updater through the FIFO queue.
    const digest = await step('image-pushed', () => pushImage(PUSHED_TAG));
    const event = ecrImageAction({ repositoryName: 'web', tag: PUSHED_TAG, digest });
    await new SQSClient({}).send(
      new SendMessageCommand({
        QueueUrl: env.resources.imageEventsQueueUrl,
        MessageBody: JSON.stringify(event),
        MessageGroupId: demo.repoUrl,
        MessageDeduplicationId: event.id,
      }),
    );
    timeline.record('image-pushed', `web:${PUSHED_TAG} (${digest.slice(0, 19)}…) pushed to ECR; event ${event.id}`);
    say(`✔ CI pushed web:${PUSHED_TAG}; delivering the ECR event through the FIFO queue`);
    const imageUpdater = await demo.handler<(e: SQSEvent, c: Context) => Promise<SQSBatchResponse>>('image-updater');
    const run = await step('commit-made', () =>
      runQueueOnce({
        queueUrl: env!.resources.imageEventsQueueUrl,
        handler: imageUpdater,
        functionName: 'image-updater',
      }),
    );
    if (run.failed.length > 0 || run.received === 0) {
      throw new StepFailed('commit-made', `the image updater did not take the event (${JSON.stringify(run)})`);
    }
    const commit = demo.git.head();
    if (commit === demo.initialRevision) throw new StepFailed('commit-made', 'the image updater made no commit');
    timeline.record('commit-made', `${commit.slice(0, 8)} ${demo.git.subject(commit)}`);
    say(`✔ the image updater committed ${commit.slice(0, 8)}:\n${indent(demo.git.show(commit))}`);

    // 3. GitHub tells the webhook about the push; the agent, already told by the image updater, applies.
    const webhook =
      await demo.handler<(e: APIGatewayProxyEventV2, c: Context) => Promise<{ statusCode?: number }>>('webhook');
    const delivery = webhookDelivery({
      event: 'push',
      secret: demo.webhookSecret,
      payload: githubPush({
        repoUrl: demo.repoUrl,
        before: demo.initialRevision,
        after: commit,
        modified: demo.git.changedFiles(commit),
      }),
    });
    const response = await step('webhook-delivered', () => webhook(delivery, lambdaContext('webhook')));
    if (response.statusCode !== 200) {
      throw new StepFailed('webhook-delivered', `the webhook answered ${response.statusCode}`);
    }
    timeline.record('webhook-delivered', `signed push for ${commit.slice(0, 8)} accepted (HTTP 200)`);
    const deployment = await step('rollout-applied', () =>
      waitFor(say, `the agent to roll web out to ${PUSHED_TAG}`, 60_000, async () => {
        const d = await demo.cluster.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: APP_NAMESPACE,
          name: 'web',
        });
        const image = (d?.spec as DeploymentSpec | undefined)?.template.spec.containers[0]?.image ?? '';
        const status = d?.status as
          | { updatedReplicas?: number; availableReplicas?: number; replicas?: number }
          | undefined;
        const rolledOut = image.endsWith(`:${PUSHED_TAG}`) && status?.updatedReplicas === status?.replicas;
        if (!rolledOut) return undefined;
        const sync = await syncStatus(demo.cluster);
        return sync?.lastAppliedRevision === commit ? { image, status } : undefined;
      }),
    );
    timeline.record('rollout-applied', `Deployment ${APP_NAMESPACE}/web runs ${deployment.image}`);
    say(`✔ the agent applied it: Deployment ${APP_NAMESPACE}/web runs ${deployment.image}`);
    await step('rollout-ready', () => waitForReady(say, demo.cluster, commit));
    timeline.record('rollout-ready', `Sync Ready at ${commit.slice(0, 8)}: every object healthy`);

    // 4. Someone changes the cluster by hand; the drift scanner notices and alerts.
    const kubectl = (...args: string[]) =>
      execFileSync('kubectl', ['--kubeconfig', env!.kube.kubeconfigPath, '-n', APP_NAMESPACE, ...args], {
        stdio: 'pipe',
      });
    kubectl('scale', 'deployment/web', '--replicas=5');
    kubectl('set', 'env', 'deployment/web', 'LOG_LEVEL=debug');
    timeline.record('hand-change', 'kubectl scale deployment/web --replicas=5; kubectl set env LOG_LEVEL=debug');
    say('✔ someone ran `kubectl scale --replicas=5` and `kubectl set env LOG_LEVEL=debug` on web');
    const scanner = await demo.handler<(e: unknown, c: Context) => Promise<unknown>>('drift-scanner');
    await step('drift-alerted', () => scanner(scheduledEvent(demo.scheduleArn), lambdaContext('drift-scanner')));
    const alert = await step('drift-alerted', () =>
      waitFor(say, 'the drift alert on Slack and SNS', 30_000, async () => {
        const slack = await slackMessages(env!, demo.slackPath);
        const sns = await demo.alerts.receive();
        const drift = sns.find((m) => m.kind === 'drift');
        return slack.length > 0 && drift ? { slack: slack[slack.length - 1]!, sns: drift } : undefined;
      }),
    );
    timeline.record('drift-alerted', `SNS "${alert.sns.subject}" and a Slack message`);
    say(`✔ drift alert on SNS: ${alert.sns.subject}\n${indent(alert.sns.message.split('\n').slice(0, 12).join('\n'))}`);
    say(`✔ and on Slack: ${alert.slack.text ?? '(blocks only)'}`);

    // 5. Self-heal on: the agent reverts the hand change; the next scan says it is resolved.
    await demo.cluster.mergePatch(
      { apiVersion: 'tidemark.dev/v1alpha1', kind: 'Sync', namespace: SYNC_NAMESPACE, name: SYNC_NAME },
      {
        metadata: { annotations: { 'tidemark.dev/requested-at': new Date().toISOString() } },
        spec: { selfHeal: true },
      },
    );
    timeline.record('self-heal-enabled', 'Sync spec.selfHeal: true');
    await step('drift-healed', () =>
      waitFor(say, 'the agent to revert the hand change', 60_000, async () => {
        const d = await demo.cluster.get({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: APP_NAMESPACE,
          name: 'web',
        });
        const spec = d?.spec as DeploymentSpec | undefined;
        const logLevel = spec?.template.spec.containers[0]?.env?.find((e) => e.name === 'LOG_LEVEL')?.value;
        return spec?.replicas === 2 && logLevel === 'info' ? true : undefined;
      }),
    );
    timeline.record('drift-healed', 'web back to replicas 2 and LOG_LEVEL=info');
    say('✔ the agent healed the drift: replicas 2, LOG_LEVEL=info');
    await step('drift-resolved', () => scanner(scheduledEvent(demo.scheduleArn), lambdaContext('drift-scanner')));
    const resolved = await step('drift-resolved', () =>
      waitFor(say, 'the "resolved" alert', 30_000, async () => {
        const sns = await demo.alerts.receive();
        return sns.find((m) => m.kind === 'resolved');
      }),
    );
    timeline.record('drift-resolved', `SNS "${resolved.subject}"`);
    say(`✔ the next scan sent: ${resolved.subject}`);
    await step('settled', () => waitForReady(say, demo.cluster, commit));
    timeline.record('settled', `Sync Ready at ${commit.slice(0, 8)} after the heal`);

    // 6. What happened, told: "deployed" for the image update, then a broken commit and its fix.
    await step('notifications', () =>
      notificationStep({
        env: env!,
        timeline,
        say,
        repoUrl: demo.repoUrl,
        slackPath: demo.deploySlackPath,
        alerts: demo.alerts,
        imageCommit: commit,
        readyAt: (revision) => waitForReady(say, demo.cluster, revision),
        waitFor: (what, timeoutMs, probe) => waitFor(say, what, timeoutMs, probe),
        async deliverPush(before, after, files) {
          const push = webhookDelivery({
            event: 'push',
            secret: demo.webhookSecret,
            payload: githubPush({ repoUrl: demo.repoUrl, before, after, modified: files }),
          });
          const answer = await webhook(push, lambdaContext('webhook'));
          if (answer.statusCode !== 200) throw new Error(`the webhook answered ${answer.statusCode}`);
        },
      }),
    );

    if (options.keep) say(exploreHint(env, demo.repoName));
    return { timeline };
  } catch (e) {
    const failedStep = e instanceof StepFailed ? e.step : 'unexpected';
    return { timeline, failedStep, error: (e as Error).message };
  } finally {
    await notifier?.stop();
    await inbox?.close();
    if (!options.keep) {
      if (agent && env) {
        await stopProcess(agent, 'cli/bin.js');
        registerAgent(env, undefined);
      }
      if (!wasRunning && env) await down(env);
    }
  }
}

/** Runs one step's work; an error becomes "step X did not happen" with the cause. */
async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof StepFailed) throw e;
    throw new StepFailed(name, (e as Error).message);
  }
}

export interface DeploymentSpec {
  replicas?: number;
  template: { spec: { containers: { image?: string; env?: { name: string; value?: string }[] }[] } };
}

interface SyncStatusView {
  lastAppliedRevision?: string;
  conditions?: { type: string; status: string; message?: string }[];
}

export const ready = (s: SyncStatusView) => s.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export async function syncStatus(cluster: ClusterClient): Promise<SyncStatusView | undefined> {
  const sync = await cluster.get({
    apiVersion: 'tidemark.dev/v1alpha1',
    kind: 'Sync',
    namespace: SYNC_NAMESPACE,
    name: SYNC_NAME,
  });
  return sync?.status as SyncStatusView | undefined;
}

/** Waits until the Sync reports Ready at `revision`: applied, and every object's health check passed. */
function waitForReady(say: (line: string) => void, cluster: ClusterClient, revision: string) {
  return waitFor(say, 'the Sync to report Ready (health checks)', 60_000, async () => {
    const sync = await syncStatus(cluster);
    return sync?.lastAppliedRevision === revision && ready(sync) ? sync : undefined;
  });
}

/** Polls `probe` every 250 ms, printing progress every 5 s, until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(
  say: (line: string) => void,
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const start = Date.now();
  let lastError: unknown;
  let nextNote = start + 5_000;
  while (Date.now() - start < timeoutMs) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= nextNote) {
      say(`  … waiting for ${what} (${Math.round((Date.now() - start) / 1000)}s)`);
      nextNote += 5_000;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const cause = lastError ? `: ${(lastError as Error).message}` : '';
  throw new Error(`${what} did not happen within ${timeoutMs / 1000}s${cause}`);
}

export async function pushImage(tag: string): Promise<string> {
  // A distinct manifest per run, so the digest (what the updater can pin) is new each time.
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1469,
      digest: `sha256:${createHash('sha256').update(randomUUID()).digest('hex')}`,
    },
    layers: [],
  });
  const out = await new ECRClient({}).send(
    new PutImageCommand({ repositoryName: 'web', imageManifest: manifest, imageTag: tag }),
  );
  return out.image!.imageId!.imageDigest!;
}

/** Everything the steps share: a fresh copy of the example repo, the agent process, the handlers' environment. */
export async function prepare(env: LocalEnvironment, say: (line: string) => void) {
  const repoName = `demo-${Date.now().toString(36)}`;
  const repoUrl = await seedExampleRepo(env.git, repoName);
  const gitOut = localGit(env.git, env.stateDir);
  const mirror = join(env.stateDir, 'demo', `${repoName}.git`);
  // A local mirror to show commits from; fetched once per revision asked about.
  const fetched = new Set<string>();
  const inMirror = (sha: string, ...args: string[]) => {
    if (!fetched.has(sha)) {
      gitOut('--git-dir', mirror, 'fetch', '--quiet', repoUrl, '+refs/heads/main:refs/heads/main');
      fetched.add(sha);
    }
    return gitOut('--git-dir', mirror, ...args, sha);
  };
  const git = {
    head: () => gitOut('ls-remote', repoUrl, 'refs/heads/main').split(/\s/)[0] ?? '',
    subject: (sha: string) => inMirror(sha, 'log', '-1', '--format=%s'),
    show: (sha: string) => inMirror(sha, 'show', '--format=%B', '--unified=0', '--no-color'),
    changedFiles: (sha: string) => inMirror(sha, 'show', '--format=', '--name-only').split('\n').filter(Boolean),
  };
  mkdirSync(join(env.stateDir, 'demo'), { recursive: true });
  gitOut('init', '--quiet', '--bare', mirror);
  const initialRevision = git.head();

  // Everything below talks to the local environment as a deployed function would: the AWS SDK to moto, kubectl to
  // the local API server. The functions get the environment the CDK stack gives them in AWS, with a deployment config
  // naming this run's repo and the one cluster the demo syncs.
  // The handlers log and emit metrics (EMF) as in AWS; loadHandler sends those lines to a log per function.
  Object.assign(process.env, exportsFor(env), env.functionEnv);
  // Slack messages go to a webhook path of this run's own, so other users of the receiver neither see nor disturb them.
  const slackPath = `/services/TDEMO/${repoName}/webhook`;
  const slackSecret = `tidemark/demo-slack/${repoName}`;
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: slackSecret, SecretString: `${env.slack.controlUrl}${slackPath}` }),
  );
  // Deployment notifications (step 6) to a webhook path of their own, so the drift steps read only drift alerts there.
  const deploySlackPath = `/services/TDEMO/${repoName}/deployments`;
  const deploySlackSecret = `tidemark/demo-slack-deployments/${repoName}`;
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: deploySlackSecret, SecretString: `${env.slack.controlUrl}${deploySlackPath}` }),
  );
  const config = localDeploymentConfig(repoUrl, { ...env.resources.secrets, slack: slackSecret });
  config.clusters = config.clusters
    .filter((c) => c.name === 'dev')
    .map((c) => ({ ...c, agentNamespace: SYNC_NAMESPACE }));
  // Failures are gathered 3 s (10 by default), so the demo's failure alert is not long in coming.
  config.notifications = {
    ...config.notifications,
    foldSeconds: 3,
    routes: [{ clusters: ['*'], syncs: ['*'], minSeverity: 'info', channels: ['sns', { slack: deploySlackSecret }] }],
  };
  process.env.TIDEMARK_CONFIG = JSON.stringify(config);

  // A clean slate for what this run observes: no earlier alert state for `dev`, and an SNS subscription of its own.
  for (const id of ['drift-alert#dev', `deploy-sync#dev#${SYNC_NAMESPACE}/${SYNC_NAME}`]) {
    await new DynamoDBClient({}).send(
      new DeleteItemCommand({ TableName: env.resources.tableName, Key: { id: { S: id } } }),
    );
  }
  // Events an earlier run left unread would be announced as this run's.
  await new SQSClient({}).send(new PurgeQueueCommand({ QueueUrl: env.resources.eventsQueueUrls.dev! })).catch(() => {});
  const alerts = await AlertInbox.subscribe(env.resources.alertsTopicArn, 'dev');

  const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
  const deploy = (file: string) => parse(readFileSync(join(projectRoot, 'agent', 'deploy', 'base', file), 'utf8'));
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYNC_NAMESPACE } } as KubeObject, {
    manager: 'tidemark-demo',
  });
  await cluster.apply(deploy('crd.yaml') as KubeObject, { manager: 'tidemark-demo' });
  await waitFor(say, 'the Sync CRD to be served', 30_000, async () => {
    cluster.mapper.reset();
    await cluster.list('tidemark.dev/v1alpha1', 'Sync', { namespace: SYNC_NAMESPACE });
    return true;
  });
  await cluster.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'demo-git', namespace: SYNC_NAMESPACE },
      stringData: { username: env.git.username, password: env.git.password },
    } as KubeObject,
    { manager: 'tidemark-demo' },
  );
  // Self-heal starts paused, so the drift scanner (step 4) sees the hand change before the agent reverts it; step 5
  // turns it on.
  await cluster.apply(
    {
      apiVersion: 'tidemark.dev/v1alpha1',
      kind: 'Sync',
      metadata: { name: SYNC_NAME, namespace: SYNC_NAMESPACE },
      spec: {
        url: repoUrl,
        branch: 'main',
        path: 'clusters/dev',
        interval: '1m',
        selfHeal: false,
        secretRef: { name: 'demo-git' },
      },
    } as KubeObject,
    { manager: 'tidemark-demo', force: true },
  );
  say(`✔ Sync ${SYNC_NAMESPACE}/${SYNC_NAME} → ${repoUrl} clusters/dev (self-heal paused until step 5)`);

  const agentLog = join(env.stateDir, 'demo', 'agent.log');
  const agent = startDetached(
    DEMO_AGENT,
    process.execPath,
    [
      join(projectRoot, 'cli', 'bin.js'),
      'agent',
      '--kubeconfig',
      env.kube.kubeconfigPath,
      '--sync-queue-url',
      env.resources.syncQueueUrls.dev!,
      '--cache-dir',
      join(env.stateDir, 'demo', 'agent-cache'),
      '--port',
      '0',
      '--watch-namespace',
      SYNC_NAMESPACE,
      '--events-queue-url',
      env.resources.eventsQueueUrls.dev!,
      '--cluster',
      'dev',
    ],
    agentLog,
    { ...process.env, POWERTOOLS_LOG_LEVEL: process.env.TIDEMARK_AGENT_LOG_LEVEL ?? 'INFO' },
  );
  registerAgent(env, agent);
  say(`✔ agent started (pid ${agent.pid}, log ${agentLog})`);

  const webhookSecret = (
    await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env.resources.secrets.webhook }))
  ).SecretString!;
  const handlers = new Map<string, unknown>();
  const functionLogs = join(env.stateDir, 'demo', 'functions');
  say(`✔ handler logs and metrics (EMF) go to ${functionLogs}/<function>.log, as to CloudWatch in AWS`);
  return {
    repoName,
    repoUrl,
    git,
    initialRevision,
    cluster,
    agent,
    webhookSecret,
    scheduleArn: `arn:aws:scheduler:${env.aws.region}:${env.aws.accountId}:schedule/default/tidemark-drift-scan`,
    alerts,
    slackPath,
    deploySlackPath,
    /** Imports a handler after the environment is set, as Lambda loads it in a fresh container. */
    async handler<H extends (...args: never[]) => unknown>(name: FunctionName): Promise<H> {
      if (!handlers.has(name)) handlers.set(name, (await loadHandler<H>(name, functionLogs)).handler);
      return handlers.get(name) as H;
    },
  };
}

/** Records the demo's agent in environment.json (so `tidemark local down` stops it), or removes it. */
export function registerAgent(env: LocalEnvironment, agent: LocalProcess | undefined): void {
  const state = readEnvironment();
  if (!state) return;
  state.processes = [...state.processes.filter((p) => p.name !== DEMO_AGENT), ...(agent ? [agent] : [])];
  writeFileSync(join(env.stateDir, 'environment.json'), JSON.stringify(state, null, 2));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function exploreHint(env: LocalEnvironment, repoName: string): string {
  return [
    '',
    'Everything is still running (--keep). To explore:',
    '  eval "$(npx tidemark local env)"',
    `  kubectl get syncs -n ${SYNC_NAMESPACE} -o yaml; kubectl get deploy -n ${APP_NAMESPACE}`,
    `  git clone "http://${env.git.username}:${env.git.password}@${env.git.url.replace('http://', '')}/${repoName}.git"`,
    `  npx tidemark diff <clone>/clusters/dev --name ${SYNC_NAMESPACE}.${SYNC_NAME}`,
    `  tail -f ${join(env.stateDir, 'demo', 'agent.log')}`,
    'Stop it all with `npx tidemark local down`.',
  ].join('\n');
}
