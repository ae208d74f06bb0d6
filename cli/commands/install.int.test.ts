import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { type RunningContainer, startContainer } from '../../agent/image/run-container';
import type { AgentDeployment } from '../../agent/install/render-install';
import type { KubeObject } from '../../core/sync/kube-object';
import { createScratchQueue, type ScratchQueue } from '../../local/invoke';
import { createLocalStack } from '../../local/local-stack';
import { configMapYaml, installSyncCrd, serviceAccountToken } from '../../test/support/agent';
import { uniqueNamespace } from '../../test/support/cluster';
import { eventually } from '../../test/support/eventually';
import { createGitRepo, type TestGitRepo } from '../../test/support/git-repo';
import { localEnv, uniqueName } from '../../test/support/local-env';

// `tidemark install` and `uninstall` as a user runs them: the CLI in a child process, reading tidemark.config.yaml and
// the stack's outputs from CloudFormation (moto, a stack of this test's own with the outputs the CDK stack writes),
// applying with the kubeconfig to the real API server. kwok plays the node, so nothing runs the Deployment's pod:
// this test does, as the kubelet would, with the agent image built from contents.env (agent/image) under runc.
const projectRoot = join(import.meta.dirname, '../..');
const admin = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const scratch = mkdtempSync(join(tmpdir(), 'install-cli-'));
let imageDir: string;
let queue: ScratchQueue;
let events: ScratchQueue;
let repo: TestGitRepo;
let apps: string;
const cluster = uniqueName('c');
const stackName = uniqueName('TidemarkInstallTest');
const containers: RunningContainer[] = [];

function tidemark(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child: ChildProcess = spawn(process.execPath, [join(projectRoot, 'cli/bin.js'), ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

/** tidemark.config.yaml for this test: the local environment's, with one cluster whose agent lives in `namespace`. */
function configFile(namespace: string): string {
  const local = JSON.parse(readFileSync(join(localEnv().stateDir, 'tidemark.config.json'), 'utf8'));
  const config = {
    ...local,
    configRepo: { ...local.configRepo, url: repo.url },
    clusters: [
      { name: cluster, eksClusterName: 'local', region: 'us-east-1', path: 'clusters/t', agentNamespace: namespace },
    ],
  };
  const file = join(scratch, `${namespace}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

beforeAll(async () => {
  imageDir = execFileSync('bash', [join(projectRoot, 'agent/image/build-image.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .at(-1)!;
  await installSyncCrd(admin);
  apps = await uniqueNamespace('install-apps');
  repo = await createGitRepo('install-cli', {
    'clusters/t/cm.yaml': configMapYaml(apps, 'settings', { greeting: 'hello' }),
  });
  // The deployed stack, as CloudFormation returns it: this cluster's sync queue (one of the test's own, since the
  // environment's are read by the demo's agent), the agent role and the published image name.
  queue = await createScratchQueue('install-sync');
  events = await createScratchQueue('install-events', { fifo: true });
  await createLocalStack(
    localEnv().aws,
    { syncQueueUrls: { [cluster]: queue.url }, eventsQueueUrls: { [cluster]: events.url } },
    stackName,
  );
}, 900_000);
afterAll(async () => {
  for (const c of containers) c.remove();
  await queue?.delete().catch(() => {});
  await events?.delete().catch(() => {});
  admin.close();
});

/** What the kubelet would do for the install's Deployment: run its container from the image, until its pod goes. */
async function runAgentPod(namespace: string): Promise<{ stopped: Promise<number>; log: () => string }> {
  const deployment = (await eventually(
    () => admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'tidemark-agent' }),
    60_000,
    'the Deployment install applies',
  )) as KubeObject & AgentDeployment;
  const container = deployment.spec.template.spec.containers[0]!;
  const serviceAccount = mkdtempSync(join(scratch, 'serviceaccount-'));
  writeFileSync(join(serviceAccount, 'token'), await serviceAccountToken(admin, namespace, 'tidemark-agent'));
  writeFileSync(join(serviceAccount, 'ca.crt'), readFileSync(localEnv().kube.caPath));
  writeFileSync(join(serviceAccount, 'namespace'), namespace);
  chmodSync(serviceAccount, 0o755);
  const api = new URL(localEnv().kube.server);
  const logPath = join(scratch, `${namespace}.log`);
  const { aws } = localEnv();
  const agent = await startContainer({
    imageDir,
    name: `install-${namespace}`,
    // The Deployment's args, watching only its own namespace (other tests' Syncs are in this same API server) and
    // on a free port (the container shares this machine's network).
    args: [...container.args, `--watch-namespace=${namespace}`, '--port=0'],
    env: {
      ...Object.fromEntries((container.env ?? []).filter((e) => e.value).map((e) => [e.name, e.value!])),
      POD_NAMESPACE: namespace,
      KUBERNETES_SERVICE_HOST: api.hostname,
      KUBERNETES_SERVICE_PORT: api.port,
      // What EKS Pod Identity would give the pod: credentials (here moto's) for the sync queue.
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ACCESS_KEY_ID: aws.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.secretAccessKey,
    },
    readOnlyMounts: { '/var/run/secrets/kubernetes.io/serviceaccount': serviceAccount },
    emptyDirs: ['/cache', '/tmp'],
    logPath,
  });
  containers.push(agent);
  // The pod goes when uninstall deletes the Deployment: then the kubelet stops the container.
  void eventually(
    async () =>
      (await admin.list('v1', 'Pod', { namespace, labelSelector: 'app.kubernetes.io/name=tidemark-agent' })).length ===
        0 &&
      (await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'tidemark-agent' })) === undefined,
    300_000,
  )
    .then(() => agent.kill('TERM'))
    .catch(() => {});
  return { stopped: agent.exited, log: () => readFileSync(logPath, 'utf8') };
}

describe('tidemark install --export', () => {
  it('prints the install for the cluster, which the API server accepts (kubectl apply --dry-run=server)', async () => {
    const namespace = await uniqueNamespace('install-export');
    const r = await tidemark([
      'install',
      '--cluster',
      cluster,
      '--config',
      configFile(namespace),
      '--stack-name',
      stackName,
      '--export',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as KubeObject & AgentDeployment);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRole',
      'ClusterRoleBinding',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'Namespace',
      'Role',
      'RoleBinding',
      'ServiceAccount',
      'Sync',
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const agent = deployment.spec.template.spec.containers[0]!;
    expect(agent.image).toMatch(/^ghcr\.io\/tidemark-dev\/tidemark-agent:\d+\.\d+\.\d+$/);
    expect(agent.args).toContain(`--sync-queue-url=${queue.url}`);
    expect(agent.args).toEqual(expect.arrayContaining([`--events-queue-url=${events.url}`, `--cluster=${cluster}`]));
    expect(objects.find((o) => o.kind === 'Sync')).toMatchObject({
      metadata: { name: cluster, namespace },
      spec: { url: repo.url, branch: 'main', path: 'clusters/t', secretRef: { name: 'tidemark-config-repo' } },
    });
    expect(r.stdout).not.toMatch(/kind: Secret/);
    expect(r.stdout).not.toContain(localEnv().git.password);

    const dryRun = execFileSync('kubectl', ['apply', '--dry-run=server', '-f', '-'], {
      input: r.stdout,
      encoding: 'utf8',
    });
    expect(dryRun).toContain(`sync.tidemark.dev/${cluster} created (server dry run)`);
    expect(dryRun).toContain('deployment.apps/tidemark-agent created (server dry run)');
  });

  it('says which clusters exist when asked for another, and exits 1', async () => {
    const r = await tidemark([
      'install',
      '--cluster',
      'nope',
      '--config',
      configFile('unused'),
      '--stack-name',
      stackName,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`clusters: has no cluster named 'nope'. Use one of '${cluster}'`);
  });
});

describe('tidemark install → Ready → uninstall', () => {
  it('installs the agent, waits until its Sync is Ready, and uninstalls it leaving the workloads', async () => {
    // A namespace the install itself creates, and removes again.
    const namespace = uniqueName('install-agent');
    const config = configFile(namespace);
    const installing = tidemark([
      'install',
      '--cluster',
      cluster,
      '--config',
      config,
      '--stack-name',
      stackName,
      '--timeout',
      '180',
    ]);
    const pod = await runAgentPod(namespace);
    const installed = await installing;
    expect(installed.code, `${installed.stderr}\nagent log:\n${pod.log()}`).toBe(0);
    expect(installed.stderr).toContain('✔ applied 12 objects');
    expect(installed.stderr).toContain(
      `git credentials: Secret ${namespace}/tidemark-config-repo, from Secrets Manager`,
    );
    expect(installed.stderr).toContain(`✔ Sync ${namespace}/${cluster} Ready at ${repo.head().slice(0, 12)}`);
    expect(installed.stderr).not.toContain(localEnv().git.password);
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'settings' };
    expect(await admin.get(settings)).toMatchObject({ data: { greeting: 'hello' } });

    const uninstalled = await tidemark(['uninstall', '--cluster', cluster, '--keep-crd']);
    expect(uninstalled.code, uninstalled.stderr).toBe(0);
    // The container ends (kwok removes the pod at once, so RBAC may be gone before the emulated kubelet's SIGTERM
    // arrives: its clean stop is the image test's to prove, not this one's).
    await pod.stopped;
    for (const gone of [
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'tidemark-agent' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        name: `tidemark-agent-apply-${namespace}`,
      },
      { apiVersion: 'tidemark.dev/v1alpha1', kind: 'Sync', namespace, name: cluster },
    ]) {
      expect(await admin.get(gone), `${gone.kind} ${gone.name}`).toBeUndefined();
    }
    await eventually(async () => {
      const ns = await admin.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
      return ns === undefined || Boolean(ns.metadata.deletionTimestamp);
    }, 60_000);
    expect(uninstalled.stderr).toContain('kept CustomResourceDefinition/syncs.tidemark.dev: --keep-crd');
    expect(uninstalled.stderr).toContain('the workloads the Syncs applied are left as they are');
    // The workload stays, as it was.
    expect(await admin.get(settings)).toMatchObject({ data: { greeting: 'hello' } });
  });
});
