import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageGroupOf } from '../../adapters/events/events-queue';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { type RunningAgent, startAgent } from '../../agent/run-agent';
import type { DeploymentEvent } from '../../core/notify/deployment-event';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { syncFolder } from '../../engine/sync/sync-folder';
import { testChannels } from '../../functions/notifier/notifier-test-channels';
import { gitServer } from '../../local/git-server';
import { createScratchQueue, drainQueue, type ScratchQueue } from '../../local/invoke';
import { createSync, eventually, installSyncCrd, readyAt, syncStatus } from '../support/agent';
import { uniqueNamespace } from '../support/cluster';
import { openScanner, type ScannerHarness, tableItems } from '../support/drift-scanner';
import { createGitRepo } from '../support/git-repo';
import { localEnv, uniqueName } from '../support/local-env';

// One canary secret value, planted in every place a Secret can come from: a Secret manifest in Git, the live object
// (a hand edit), the credentials Secret a Sync names (the password of a git server of this test's own), the user-info
// of a Sync URL, and a YAML error on the line of a Secret value. The agent, the notifier, the drift scanner and the CLI
// are driven through successes and failures with it; then every status, Event, log line, deployment event, Slack
// post, SNS message, EventBridge event, DynamoDB item and CLI output is searched for it (as it is, base64-encoded, and
// inside a basic-auth header): zero hits. Helm values are not covered here (see the closing note of issue 12).

const canary = `cnry${randomBytes(8).toString('hex')}`;
const forms = [
  canary,
  Buffer.from(canary).toString('base64').replace(/=+$/, ''),
  Buffer.from(`tidemark:${canary}`).toString('base64').replace(/=+$/, ''),
];
const hitsIn = (text: string) => forms.reduce((n, form) => n + text.split(form).length - 1, 0);

const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const sqs = new SQSClient({});
/** Everything written to stdout and stderr in this worker while the test runs: the agent's and notifier's logs. */
const printed: string[] = [];
const outputs = new Map<string, string[]>();
const record = (where: string, value: unknown) => {
  outputs.set(where, [...(outputs.get(where) ?? []), typeof value === 'string' ? value : JSON.stringify(value)]);
};

let ns: string;
let agent: RunningAgent;
let server: Server;
let serverUrl: string;
let gitRoot: string;
let events: ScratchQueue;
let flush: ScratchQueue;
let channels: Awaited<ReturnType<typeof testChannels>>;
let scanner: ScannerHarness;
let notifier: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const clusterName = uniqueName('canary');
const published: DeploymentEvent[] = [];
const realWrite = { out: process.stdout.write, err: process.stderr.write };

const secretYaml = (namespace: string, name: string, line: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}, namespace: ${namespace} }\nstringData:\n${line}`;

beforeAll(async () => {
  for (const [stream, key] of [
    [process.stdout, 'out'],
    [process.stderr, 'err'],
  ] as const) {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (realWrite[key] as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
  }
  await installSyncCrd(cluster);
  ns = await uniqueNamespace('canary');

  // The scanner first: its handler reads its configuration on import (test/support/drift-scanner.ts).
  scanner = await openScanner({
    files: {
      'clusters/x/db.yaml': secretYaml(ns, 'scan-db', `  password: ${canary}\n`),
      'clusters/x/api.yaml': secretYaml(ns, 'scan-api', '  token: from-git\n'),
    },
    path: 'clusters/x',
    prefix: 'canary',
  });

  // A git server of this test's own whose password is the canary: the credentials Secret of the Syncs below holds it.
  gitRoot = mkdtempSync(join(tmpdir(), 'canary-git-'));
  server = gitServer({ root: gitRoot, username: 'tidemark', password: canary });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const auth = `Basic ${Buffer.from(`tidemark:${canary}`).toString('base64')}`;
  await fetch(`${serverUrl}/_admin/repos/app`, { method: 'POST', headers: { authorization: auth } });
  const seed = await createGitRepo('canary-seed', {
    'apps/db.yaml': secretYaml(ns, 'db', `  password: ${canary}\n`),
    'apps/settings.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: ${ns} }\ndata: { a: b }\n`,
  });
  execFileSync('git', ['-C', join(gitRoot, 'app.git'), 'fetch', '--quiet', seedFolder(seed.name), 'main:main']);

  events = await createScratchQueue('canary-events', { fifo: true });
  flush = await createScratchQueue('canary-flush');
  channels = await testChannels(clusterName);
  agent = await startAgent({
    kubeconfig: process.env.KUBECONFIG,
    cacheDir: mkdtempSync(join(tmpdir(), 'canary-agent-')),
    port: 0,
    watchNamespace: ns,
    events: { queueUrl: events.url, cluster: clusterName },
  });
  process.env.TIDEMARK_CONFIG = JSON.stringify({
    configRepo: { provider: 'git', url: 'https://git.example.com/x.git', authSecretName: 'tidemark/config-repo' },
    clusters: [{ name: clusterName, eksClusterName: 'local', region: 'us-east-1', path: 'x' }],
    images: { ecrRepositories: ['web'] },
    notifications: { foldSeconds: 1, routes: [{ channels: ['sns', { slack: channels.slackSecret }] }] },
  });
  process.env.TIDEMARK_FLUSH_QUEUE_URL = flush.url;
  ({ handler: notifier } = await import('../../functions/notifier/handler'));
}, 300_000);

afterAll(async () => {
  await agent?.stop();
  server?.closeAllConnections();
  server?.close();
  process.stdout.write = realWrite.out;
  process.stderr.write = realWrite.err;
  cluster.close();
});

describe('a canary secret value planted everywhere a Secret can come from', () => {
  it('the agent: applied from Git with credentials, hand-edited live, broken on its line, fetched with a bad URL', async () => {
    await cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'git-creds', namespace: ns },
        stringData: { username: 'tidemark', password: canary },
      },
      { manager: 'tidemark-tests' },
    );
    const sync = (name: string, spec: Record<string, unknown>) =>
      cluster.apply(
        { apiVersion: syncApiVersion, kind: syncKind, metadata: { name, namespace: ns }, spec },
        { manager: 'tidemark-tests' },
      );
    const appUrl = `${serverUrl}/app.git`;
    await sync('app', { url: appUrl, path: 'apps', secretRef: { name: 'git-creds' } });
    // Read from the bare repository itself: this worker serves it, so a git client here would wait on itself.
    const head = execFileSync('git', ['-C', join(gitRoot, 'app.git'), 'rev-parse', 'main'])
      .toString()
      .trim();
    await readyAt(cluster, ns, 'app', head, 90_000);

    // The live object: someone writes the canary (with a suffix) into the applied Secret; self-heal reverts it.
    execFileSync('kubectl', [
      '-n',
      ns,
      'patch',
      'secret',
      'db',
      '-p',
      JSON.stringify({ stringData: { password: `${canary}-live` } }),
    ]);
    await eventually(
      async () => {
        const live = await cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' });
        const data = live?.data as Record<string, string> | undefined;
        return Buffer.from(String(data?.password), 'base64').toString() === canary;
      },
      60_000,
      'self-heal of the hand-edited Secret',
    );

    // A wrong repository on the same server, with the same credentials: the fetch fails.
    await sync('lost', { url: `${serverUrl}/missing.git`, path: 'apps', secretRef: { name: 'git-creds' } });
    // The canary as URL user-info. The CRD may refuse it (then the refusal is searched too); if it is accepted, the
    // agent must keep it out of everything it writes.
    try {
      await sync('userinfo', { url: `http://tidemark:${canary}@127.0.0.1:1/app.git`, path: 'apps' });
    } catch (error) {
      record('API server answers', (error as Error).message);
    }

    // A YAML error on the canary's own line.
    pushTo('app', { 'apps/db.yaml': secretYaml(ns, 'db', `  password: "${canary}\n`) });
    await agent.controller.reconcileNow({ url: appUrl, branch: 'main' });
    const stalled = (await syncStatus(cluster, ns, 'app')).conditions?.find((c) => c.type === 'Stalled');
    expect(stalled).toMatchObject({ status: 'True', reason: 'RenderFailed' });
    expect(stalled?.message).toMatch(/db\.yaml \(document 0\): is not valid YAML: .* at line 6, column 1/);
    await eventually(
      async () => {
        const ready = (await syncStatus(cluster, ns, 'lost')).conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'False' && ready.reason === 'FetchFailed';
      },
      60_000,
      'the lost Sync failing to fetch',
    );

    // What the agent published, read off its events queue, then through the notifier as Lambda would run it.
    await eventually(
      async () => {
        await readEvents();
        return ['deployed', 'healed', 'failed'].every((kind) => published.some((e) => e.kind === kind));
      },
      60_000,
      'deployed, healed and failed events',
    );
    await notify();
    expect((await channels.slack()).length).toBeGreaterThan(0);
  }, 300_000);

  it('the agent: a chart in Git whose values come from a Secret, released, then failing on that value', async () => {
    // A chart of this test's own (the value must reach a template and a `fail` message); the repo is on the shared
    // local git server, so the canary is only in the values.
    const repo = await createGitRepo('canary-helm', {
      'charts/vault/Chart.yaml': 'apiVersion: v2\nname: vault\nversion: 0.1.0\n',
      'charts/vault/templates/secret.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-password\nstringData:\n  password: {{ .Values.password | quote }}\n',
      'charts/vault/templates/check.yaml':
        '{{- if .Values.strict }}{{ fail (printf "password %s is too weak" .Values.password) }}{{- end }}\n',
    });
    const values = (text: string) =>
      cluster.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'chart-values', namespace: ns },
          stringData: { 'values.yaml': text },
        },
        { manager: 'tidemark-tests' },
      );
    await values(`password: ${canary}\n`);
    await createSync(cluster, ns, 'vault', {
      url: repo.url,
      helm: { chart: { path: 'charts/vault' }, valuesFrom: [{ kind: 'Secret', name: 'chart-values' }] },
    });
    await readyAt(cluster, ns, 'vault', repo.head(), 90_000);
    const released = await cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'vault-password' });
    expect(Buffer.from(String((released?.data as Record<string, string>)?.password), 'base64').toString()).toBe(canary);

    // The values now make the chart fail with a message that quotes the value; the values watch re-renders at once.
    await values(`password: ${canary}\nstrict: true\n`);
    const failed = await eventually(
      async () => {
        const ready = (await syncStatus(cluster, ns, 'vault')).conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'False' && ready.message?.includes('is too weak') ? ready : undefined;
      },
      60_000,
      'the chart failing on its value',
    );
    expect(failed.message).not.toContain(canary);
  }, 180_000);

  it('the drift scanner: a Secret in Git, a live value, and a YAML error on the line of the value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-scan-'));
    writeFileSync(join(dir, 'db.yaml'), secretYaml(ns, 'scan-db', `  password: ${canary}\n`));
    writeFileSync(join(dir, 'api.yaml'), secretYaml(ns, 'scan-api', '  token: from-git\n'));
    await syncFolder(cluster, {
      sync: { namespace: 'tidemark-system', name: scanner.cluster },
      dir,
      revision: scanner.repo.head(),
      prune: false,
      maxPruneShare: 0,
    });
    execFileSync('kubectl', [
      '-n',
      ns,
      'patch',
      'secret',
      'scan-api',
      '-p',
      JSON.stringify({ stringData: { token: canary } }),
    ]);
    const drifted = await scanner.run();
    expect(drifted.alerts).toEqual(['appeared']);
    scanner.repo.commit({ 'clusters/x/db.yaml': secretYaml(ns, 'scan-db', `  password: "${canary}\n`) }, 'Rotate');
    const failing = await scanner.run();
    expect(failing.alerts).toEqual(['scan-failing']);
    expect(failing.outcome).toMatchObject({ kind: 'failed', message: expect.stringMatching(/line 6, column 1/) });
  });

  it('the CLI: tidemark apply of a broken Secret and tidemark diff of a hand-edited one', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'canary-cli-'));
    writeFileSync(join(broken, 'db.yaml'), secretYaml(ns, 'cli-db', `  password: ${canary}: x\n`));
    const apply = tidemark(['apply', broken, '--name', 'canary-cli']);
    expect(apply.code).toBe(1);
    expect(apply.stdout + apply.stderr).toMatch(/line 5, column \d+/);
    record('CLI output', apply);

    const good = mkdtempSync(join(tmpdir(), 'canary-cli-'));
    writeFileSync(join(good, 'db.yaml'), secretYaml(ns, 'cli-db', `  password: ${canary}\n`));
    expect(tidemark(['apply', good, '--name', 'canary-cli']).code).toBe(0);
    execFileSync('kubectl', [
      '-n',
      ns,
      'patch',
      'secret',
      'cli-db',
      '-p',
      JSON.stringify({ stringData: { password: `${canary}-live` } }),
    ]);
    for (const output of ['text', 'json']) {
      const diff = tidemark(['diff', good, '--name', 'canary-cli', '--output', output]);
      expect(diff.code).toBe(1);
      expect(diff.stdout).toContain('cli-db');
      record('CLI output', diff);
    }
  }, 400_000);

  it('appears in no status, Event, log line, deployment event, Slack post, SNS message, EventBridge event, stored item or CLI output', async () => {
    const syncs = await cluster.list(syncApiVersion, syncKind, { namespace: ns });
    record(
      'Sync status',
      syncs.map((s) => s.status),
    );
    record('Events', await cluster.list('v1', 'Event', { namespace: ns }));
    record('agent and notifier log lines', printed.join(''));
    await readEvents();
    record('deployment events', published);
    record('Slack posts', await channels.slack());
    record('Slack posts', await scanner.slackPosts());
    record('SNS messages', await channels.sns());
    record('SNS messages', await scanner.snsMessages());
    record('EventBridge events', await channels.bus());
    record('DynamoDB items (the whole State table)', await tableItems());
    record('drift scanner log lines', scanner.logLines().join('\n'));

    const table = [...outputs].map(([where, texts]) => ({
      where,
      items: texts.length,
      bytes: texts.reduce((n, t) => n + t.length, 0),
      hits: texts.reduce((n, t) => n + hitsIn(t), 0),
    }));
    console.info(`canary hits per output:\n${JSON.stringify(table, null, 1)}`);
    // Not vacuous: each place was written to, and the canary is findable where it belongs (the applied Secret).
    for (const row of table) expect(row.bytes, row.where).toBeGreaterThan(0);
    const applied = await cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' });
    expect(hitsIn(JSON.stringify(applied))).toBeGreaterThan(0);
    expect(table.filter((row) => row.hits > 0)).toEqual([]);
  });
});

/**
 * Commits `files` to the repo `name` of this test's own git server, in its folder: the server runs in this worker, so
 * a git client over HTTP here (a synchronous child process) would wait on itself.
 */
function pushTo(name: string, files: Record<string, string>) {
  const work = mkdtempSync(join(tmpdir(), 'canary-push-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=t@localhost', ...args], {
      cwd: work,
      stdio: 'pipe',
    });
  git('clone', '--quiet', join(gitRoot, `${name}.git`), '.');
  for (const [path, text] of Object.entries(files)) writeFileSync(join(work, path), text);
  git('commit', '--quiet', '-am', 'Rotate the password');
  git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');
}

function seedFolder(name: string): string {
  return join(localEnv().git.root, `${name}.git`);
}

async function readEvents(): Promise<void> {
  for (;;) {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: events.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (!r.Messages?.length) return;
    published.push(...r.Messages.map((m) => JSON.parse(m.Body!) as DeploymentEvent));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: events.url,
        Entries: r.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

/** The published events through the notifier's handler, in order, as its events queue would deliver them. */
async function notify(): Promise<void> {
  const queue = await createScratchQueue('canary-notifier', { fifo: true });
  for (let i = 0; i < published.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: published.slice(i, i + 10).map((e, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(e),
          MessageGroupId: messageGroupOf(e),
          MessageDeduplicationId: e.id,
        })),
      }),
    );
  }
  const runs = await drainQueue({ queueUrl: queue.url, handler: notifier, functionName: 'notifier', maxBatches: 20 });
  expect(runs.flatMap((r) => r.failed)).toEqual([]);
  await new Promise((r) => setTimeout(r, 1500)); // the fold time
  await drainQueue({ queueUrl: flush.url, handler: notifier, functionName: 'notifier', maxBatches: 5 });
}

function tidemark(args: string[]) {
  const r = spawnSync(process.execPath, ['cli/bin.js', ...args], {
    env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'canary-cli-cache-')) },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
