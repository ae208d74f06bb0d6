import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../local/environment';
import { DEMO_AGENT, environmentHealth, up } from '../../local/local-environment';
import { receiveSnsMessages } from '../support/aws';
import { kubeConfig, uniqueNamespace } from '../support/cluster';
import { eventually } from '../support/eventually';
import { createGitRepo, gitAuthHeader } from '../support/git-repo';
import { localEnv, uniqueName } from '../support/local-env';

describe('the local Kubernetes API server', () => {
  it('runs a Deployment to Available with Ready pods (controller manager, scheduler and kwok move the cluster)', async () => {
    const ns = await uniqueNamespace('env-deploy');
    const apps = kubeConfig().makeApiClient(AppsV1Api);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      },
    });
    const available = await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        return d.status?.conditions?.find((c) => c.type === 'Available' && c.status === 'True') ? d : undefined;
      },
      60_000,
      'Deployment Available',
    );
    expect(available.status?.readyReplicas).toBe(2);
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toBe('kwok-node-0');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('answers a server-side apply dry-run with the fields the API server defaults', async () => {
    const ns = await uniqueNamespace('env-dryrun');
    const client = KubernetesObjectApi.makeApiClient(kubeConfig());
    const result = await client.patch(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
      undefined,
      'All',
      'tidemark',
      true,
      'application/apply-patch+yaml',
    );
    const service = result as unknown as { spec: { ports: { protocol: string; targetPort: number }[]; type: string } };
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports[0]).toMatchObject({ protocol: 'TCP', targetPort: 80 });
    // A dry run persists nothing.
    const core = kubeConfig().makeApiClient(CoreV1Api);
    await expect(core.readNamespacedService({ name: 'web', namespace: ns })).rejects.toMatchObject({ code: 404 });
  });

  it('denies a ServiceAccount what RBAC did not grant it, and allows what it did', async () => {
    const ns = await uniqueNamespace('env-rbac');
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'read-configmaps' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({ name: 'reader', namespace: ns, body: { spec: {} } });
    const asReader = kubeConfig();
    asReader.users = [{ name: 'reader', token: token.status?.token }];
    asReader.contexts = [{ ...asReader.contexts[0]!, user: 'reader' }];
    const readerCore = asReader.makeApiClient(CoreV1Api);

    await expect(readerCore.listNamespacedConfigMap({ namespace: ns })).resolves.toBeDefined();
    await expect(readerCore.listNamespacedSecret({ namespace: ns })).rejects.toMatchObject({ code: 403 });
  });

  it('is usable by the stock kubectl with the written kubeconfig', () => {
    const out = execFileSync('kubectl', [
      '--kubeconfig',
      localEnv().kube.kubeconfigPath,
      'get',
      'namespaces',
      '-o',
      'name',
    ]);
    expect(out.toString()).toContain('namespace/kube-system');
  });
});

describe('tidemark local up', () => {
  it('reuses a healthy environment, also when several callers ask at once', async () => {
    const [a, b] = await Promise.all([up(), up()]);
    expect(a.kube.server).toBe(localEnv().kube.server);
    expect(b.kube.server).toBe(localEnv().kube.server);
    // The environment's own components; a demo running in another worker may have registered its agent meanwhile.
    const pids = (env: LocalEnvironment) => env.processes.filter((p) => p.name !== DEMO_AGENT).map((p) => p.pid);
    expect(pids(a)).toEqual(pids(localEnv()));
    expect(pids(b)).toEqual(pids(localEnv()));
  });
});

describe('the local git server', () => {
  it('serves clone and push over smart HTTP, behind basic auth', async () => {
    const repo = await createGitRepo('env-git', { 'README.md': 'hello\n' });
    const sha = repo.commit({ 'apps/web.yaml': 'kind: ConfigMap\n' }, 'add web');
    expect(repo.head()).toBe(sha);

    const work = mkdtempSync(join(tmpdir(), 'tidemark-clone-'));
    try {
      repo.git(work, 'clone', '--quiet', '--depth=1', repo.url, 'checkout');
      expect(repo.git(join(work, 'checkout'), 'rev-parse', 'HEAD')).toBe(sha);
      // Without credentials the server refuses, as a private repository would.
      expect(() =>
        execFileSync('git', ['ls-remote', repo.url], {
          stdio: 'pipe',
          env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
        }),
      ).toThrow(/Authentication failed|401|could not read Username/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('rejects a non-fast-forward push, like a protected branch', async () => {
    const repo = await createGitRepo('env-ff', { 'a.txt': 'a\n' });
    const work = mkdtempSync(join(tmpdir(), 'tidemark-ff-'));
    try {
      repo.git(work, 'init', '--quiet', '--initial-branch=main');
      writeFileSync(join(work, 'b.txt'), 'unrelated history\n');
      repo.git(work, 'add', '-A');
      repo.git(work, 'commit', '--quiet', '-m', 'unrelated');
      expect(() => repo.git(work, 'push', '--force', repo.url, 'HEAD:refs/heads/main')).toThrow(
        /non-fast-forward|rejected/,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('has the example config repo seeded', async () => {
    const res = await fetch(`${localEnv().git.exampleRepoUrl}/info/refs?service=git-upload-pack`, {
      headers: { authorization: gitAuthHeader() },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('refs/heads/main');
  });
});

describe('the moto AWS emulator', () => {
  it('answers ECR DescribeImages for a pushed image manifest', async () => {
    const ecr = new ECRClient({});
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: 7023,
        digest: `sha256:${'a'.repeat(64)}`,
      },
      layers: [],
    });
    const tag = uniqueName('v1');
    await ecr.send(new PutImageCommand({ repositoryName: 'web', imageManifest: manifest, imageTag: tag }));
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: tag }] }));
    expect(images.imageDetails?.[0]?.imageTags).toContain(tag);
    expect(images.imageDetails?.[0]?.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('delivers an SNS publish to the subscribed SQS inbox', async () => {
    const { alertsTopicArn, alertsInboxQueueUrl } = localEnv().resources;
    const marker = uniqueName('marker');
    await new SNSClient({}).send(
      new PublishCommand({
        TopicArn: alertsTopicArn,
        Subject: `probe ${marker}`,
        Message: 'hello',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'drift' } },
      }),
    );
    const found = await eventually(
      async () => {
        const messages = await receiveSnsMessages(alertsInboxQueueUrl, 1);
        return messages.find((m) => m.Subject === `probe ${marker}`);
      },
      60_000,
      'SNS message in the inbox',
    );
    expect(found.MessageAttributes?.kind?.Value).toBe('drift');
  });

  it('rejects a second conditional put of the same DynamoDB item', async () => {
    const ddb = new DynamoDBClient({});
    const put = () =>
      ddb.send(
        new PutItemCommand({
          TableName: localEnv().resources.tableName,
          Item: { id: { S: `probe#${id}` } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    const id = uniqueName('item');
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});

describe('the local PostgreSQL server', () => {
  const connect = async (user: string, password: string, database = 'postgres') => {
    const { host, port } = localEnv().postgres;
    const client = new pg.Client({ host, port, user, password, database, connectionTimeoutMillis: 5_000 });
    await client.connect();
    return client;
  };

  it('is a healthy component of the environment, on 127.0.0.1, reused by a second up', async () => {
    const env = localEnv();
    expect(env.postgres.host).toBe('127.0.0.1');
    const health = (await environmentHealth(env)).find((h) => h.name === 'postgres');
    expect(health).toMatchObject({ running: true, healthy: true });
    expect((await up()).postgres.port).toBe(env.postgres.port);
  });

  it('lets in the admin of its Secrets Manager secret, as the reconcilers log in, and no one with another password', async () => {
    const { adminSecretName } = localEnv().postgres;
    const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: adminSecretName }));
    const { username, password } = JSON.parse(secret.SecretString ?? '{}') as { username: string; password: string };
    const database = uniqueName('probe').replace(/-/g, '_');
    const admin = await connect(username, password);
    try {
      await admin.query(`CREATE DATABASE ${database}`);
      const probe = await connect(username, password, database);
      expect((await probe.query('SELECT current_database() AS db')).rows[0].db).toBe(database);
      await probe.end();
      await admin.query(`DROP DATABASE ${database}`);
    } finally {
      await admin.end();
    }
    await expect(connect(username, `${password}-wrong`)).rejects.toThrow(/password authentication failed/);
    // SCRAM: the password never travels, so the server's log of every statement and login does not hold it.
    expect(readFileSync(join(localEnv().stateDir, 'postgres.log'), 'utf8')).not.toContain(password);
  });
});

describe('the Slack receiver', () => {
  it('records posted messages and fails on request, for retry tests', async () => {
    const { webhookUrl, controlUrl } = localEnv().slack;
    await fetch(`${controlUrl}/fail`, {
      method: 'POST',
      body: JSON.stringify({ status: 429, times: 1, retryAfter: 1 }),
    });
    const marker = uniqueName('slack');
    const first = await fetch(webhookUrl, { method: 'POST', body: JSON.stringify({ text: marker }) });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    const second = await fetch(webhookUrl, { method: 'POST', body: JSON.stringify({ text: marker }) });
    expect(await second.text()).toBe('ok');
    const messages = (await (await fetch(`${controlUrl}/messages`)).json()) as { body: { text: string } }[];
    expect(messages.filter((m) => m.body.text === marker)).toHaveLength(1);
  });
});
