import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Timeline } from '../../core/timeline/timeline';
import type { LocalEnvironment } from '../environment';
import { runQueueOnce } from '../invoke';
import { localGit } from '../local-git';
import type { AlertInbox, ReceivedAlert } from './alert-inbox';

type NotifierHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The notifier as Lambda runs it in AWS, for the demo: its handler invoked on each batch of the cluster's events queue
 * (an event source mapping long-polls it) and on its flush queue, until stopped.
 */
export function startNotifier(
  env: LocalEnvironment,
  cluster: string,
  handler: NotifierHandler,
): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await runQueueOnce({
        queueUrl: env.resources.eventsQueueUrls[cluster]!,
        handler,
        functionName: 'notifier',
      }).catch(() => undefined);
      await runQueueOnce({
        queueUrl: env.resources.flushQueueUrl,
        handler,
        functionName: 'notifier',
        waitTimeSeconds: 0,
      }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** A message on the demo's deployments Slack webhook, with when the receiver got it. */
export interface SlackNote {
  text: string;
  blocks: unknown[];
  receivedAt: string;
}

export async function slackNotes(env: LocalEnvironment, path: string): Promise<SlackNote[]> {
  const res = await fetch(`${env.slack.controlUrl}/messages?path=${encodeURIComponent(path)}`);
  const messages = (await res.json()) as { receivedAt: string; body: { text: string; blocks: unknown[] } }[];
  return messages.map((m) => ({ ...m.body, receivedAt: m.receivedAt }));
}

export interface NotifyStepContext {
  env: LocalEnvironment;
  timeline: Timeline;
  say: (line: string) => void;
  repoUrl: string;
  /** The Slack webhook path deployment notifications go to in the demo. */
  slackPath: string;
  alerts: AlertInbox;
  /** Tells the agent of a push now, as the webhook does. */
  deliverPush(before: string, after: string, files: string[]): Promise<void>;
  /** Waits until the Sync is Ready at `revision`. */
  readyAt(revision: string): Promise<unknown>;
  waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T>;
  /** The commit the image update made, whose "deployed" notification the timeline measures. */
  imageCommit: string;
}

const manifest = 'clusters/dev/web/deployment.yaml';

/**
 * Step 6 of the demo: deployment notifications. The image update's deploy was announced; then a broken commit (a
 * manifest that is not YAML) → a failure alert on Slack and SNS naming the file and line → the fix → "recovered", then
 * "deployed" once.
 */
export async function notificationStep(ctx: NotifyStepContext): Promise<void> {
  const { env, timeline, say } = ctx;
  const deployed = await ctx.waitFor('the "deployed" notification of the image update', 30_000, async () =>
    (await slackNotes(env, ctx.slackPath)).find(
      (m) => m.text.startsWith('🚀') && m.text.includes(ctx.imageCommit.slice(0, 7)),
    ),
  );
  timeline.record('deployed-notified', `Slack "${deployed.text}"`, new Date(deployed.receivedAt));
  say(`✔ Slack: ${deployed.text}`);

  const work = mkdtempSync(join(tmpdir(), 'tidemark-demo-notify-'));
  const git = localGit(env.git, work, { name: 'Dana Developer', email: 'dana@example.com' });
  try {
    git('clone', '--quiet', ctx.repoUrl, '.');
    const before = git('rev-parse', 'HEAD');
    const good = readFileSync(join(work, manifest), 'utf8');
    writeFileSync(join(work, manifest), good.replace(/^spec:$/m, 'spec:\n  replicas: [2'));
    git('commit', '--quiet', '-am', 'Scale web (with a typo)');
    git('push', '--quiet', 'origin', 'HEAD:main');
    const broken = git('rev-parse', 'HEAD');
    timeline.record('broken-commit', `${broken.slice(0, 8)} Scale web (with a typo): ${manifest} is no longer YAML`);
    say(`✔ someone pushed ${broken.slice(0, 8)}, which breaks ${manifest}`);
    await ctx.deliverPush(before, broken, [manifest]);

    const sns: ReceivedAlert[] = [];
    const failure = await ctx.waitFor('the failure alert on Slack and SNS', 60_000, async () => {
      sns.push(...(await ctx.alerts.receive()));
      const slack = (await slackNotes(env, ctx.slackPath)).find((m) => m.text.startsWith('❌'));
      const mail = sns.find((m) => m.kind === 'failed');
      return slack && mail ? { slack, mail } : undefined;
    });
    timeline.record(
      'failure-alerted',
      `Slack "${failure.slack.text}" and SNS "${failure.mail.subject}"`,
      new Date(failure.slack.receivedAt),
    );
    const where = /In (\S+), line (\d+)\./.exec(failure.mail.message);
    say(`✔ failure alert on Slack and SNS: ${failure.mail.subject}${where ? ` (${where[1]}, line ${where[2]})` : ''}`);

    writeFileSync(join(work, manifest), good);
    git('commit', '--quiet', '-am', 'Fix the typo in web');
    git('push', '--quiet', 'origin', 'HEAD:main');
    const fixed = git('rev-parse', 'HEAD');
    timeline.record('fix-commit', `${fixed.slice(0, 8)} Fix the typo in web`);
    say(`✔ the fix ${fixed.slice(0, 8)} is pushed`);
    await ctx.deliverPush(broken, fixed, [manifest]);
    await ctx.readyAt(fixed);

    const after = await ctx.waitFor('"recovered" and "deployed" on Slack', 60_000, async () => {
      const notes = await slackNotes(env, ctx.slackPath);
      const recovered = notes.find((m) => m.text.startsWith('✅'));
      const redeployed = notes.filter((m) => m.text.startsWith('🚀') && m.text.includes(fixed.slice(0, 7)));
      return recovered && redeployed.length > 0 ? { recovered, redeployed } : undefined;
    });
    timeline.record('recovered-notified', `Slack "${after.recovered.text}"`, new Date(after.recovered.receivedAt));
    timeline.record('fix-deployed', `Slack "${after.redeployed[0]!.text}"`, new Date(after.redeployed[0]!.receivedAt));
    // Once: a few seconds more bring no second "deployed" for the fix (the agent keeps reconciling meanwhile).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const deploys = (await slackNotes(env, ctx.slackPath)).filter(
      (m) => m.text.startsWith('🚀') && m.text.includes(fixed.slice(0, 7)),
    );
    if (deploys.length !== 1) throw new Error(`the fix was announced as deployed ${deploys.length} times, not once`);
    say(`✔ Slack: ${after.recovered.text}, then ${after.redeployed[0]!.text} (once)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
