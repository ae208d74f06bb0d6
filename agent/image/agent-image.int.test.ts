import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { tidemarkVersion } from '../../core/version';
import { configMapYaml, installSyncCrd, readyAt, serviceAccountToken } from '../../test/support/agent';
import { uniqueNamespace } from '../../test/support/cluster';
import { eventually } from '../../test/support/eventually';
import { createGitRepo } from '../../test/support/git-repo';
import { localEnv } from '../../test/support/local-env';
import { renderInstall } from '../install/render-install';
import { readImageContents } from './image-contents';
import { type ImageConfig, type RunningContainer, startContainer } from './run-container';

// The agent image, built without Docker from contents.env (build-image.sh: Debian root, Node from npm, kustomize, the
// bundle), run with runc as agent/deploy's pod runs it: uid 65532, read-only root, /tmp and /cache the only writable
// paths, the ServiceAccount token mounted where the kubelet puts it. Its Debian layer is cached per user (bootstrap
// builds it), so a warm run rebuilds only the bundle layer.
const admin = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
const contents = readImageContents();
let imageDir: string;
let config: ImageConfig;
const containers: RunningContainer[] = [];

beforeAll(async () => {
  const out = execFileSync('bash', [join(import.meta.dirname, 'build-image.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  imageDir = out.trim().split('\n').at(-1)!;
  config = JSON.parse(readFileSync(join(imageDir, 'config.json'), 'utf8'));
  await installSyncCrd(admin);
}, 900_000);
afterAll(() => {
  for (const c of containers) c.remove();
  admin.close();
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the agent image', () => {
  it('says what contents.env says: nonroot user, tini and node, the agent command, its environment', () => {
    expect(config.os).toBe('linux');
    expect(config.architecture).toBe(execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim());
    expect(config.config).toMatchObject({
      User: '65532:65532',
      WorkingDir: '/app',
      Entrypoint: ['/usr/bin/tini', '--', '/usr/local/bin/node', '--max-semi-space-size=2', '/app/main.js'],
      Cmd: ['agent'],
      ExposedPorts: { '8080/tcp': {} },
      Labels: expect.objectContaining({ 'org.opencontainers.image.version': tidemarkVersion }),
    });
    expect(config.config.Env).toEqual(Object.entries(contents.env).map(([k, v]) => `${k}=${v}`));
    expect(readFileSync(join(imageDir, 'digest'), 'utf8').trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    // A Docker archive `docker load` takes, named as the release is.
    const manifest = JSON.parse(
      execFileSync('tar', ['-xOf', join(imageDir, 'image.tar'), 'manifest.json'], { encoding: 'utf8' }),
    );
    expect(manifest[0].RepoTags).toEqual([`${contents.repository}:${tidemarkVersion}`]);
    expect(manifest[0].Layers).toHaveLength(3);
  });

  it('runs as uid 65532 on a read-only root: a Sync reconciles, the probes answer, SIGTERM stops it cleanly', async () => {
    const system = await uniqueNamespace('image-agent');
    const apps = await uniqueNamespace('image-apps');
    const repo = await createGitRepo('image', { 'apps/cm.yaml': configMapYaml(apps, 'a', { k: 'v' }) });
    const { username, password, url } = localEnv().git;
    expect(repo.url.startsWith(url)).toBe(true);

    // What `tidemark install` applies for a cluster whose agent lives in `system`; the pod itself is this test's.
    const objects = await renderInstall({
      cluster: {
        name: 'image',
        eksClusterName: 'local',
        region: 'us-east-1',
        path: 'apps',
        agentNamespace: system,
        agentServiceAccount: 'tidemark-agent',
      },
      configRepo: { url: repo.url, branch: 'main' },
      image: `${contents.repository}:${tidemarkVersion}`,
      gitSecretName: 'image-git',
    });
    for (const object of objects) {
      if (['Namespace', 'CustomResourceDefinition', 'Deployment', 'Sync'].includes(object.kind)) continue;
      await admin.apply(object, { manager: 'tidemark-tests' });
    }
    await admin.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'image-git', namespace: system },
        stringData: { username, password },
      } as KubeObject,
      { manager: 'tidemark-tests' },
    );

    // The pod as the kubelet would start it from the rendered Deployment.
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { args: string[]; env: { name: string; value?: string }[] }[] } } };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    const serviceAccount = mkdtempSync(join(tmpdir(), 'serviceaccount-'));
    writeFileSync(join(serviceAccount, 'token'), await serviceAccountToken(admin, system, 'tidemark-agent'));
    writeFileSync(join(serviceAccount, 'ca.crt'), readFileSync(localEnv().kube.caPath));
    writeFileSync(join(serviceAccount, 'namespace'), system);
    chmodSync(serviceAccount, 0o755); // the kubelet's projected volume is readable by the pod's user
    const port = await freePort();
    const api = new URL(localEnv().kube.server);
    const logPath = join(mkdtempSync(join(tmpdir(), 'agent-image-')), 'agent.log');
    const agent = await startContainer({
      imageDir,
      name: `tidemark-agent-${system}`,
      // The Deployment's args; the port is a free one (the pod shares this machine's network) and the watch is the
      // test's namespace (other tests' Syncs are not this agent's).
      args: [...container.args, `--port=${port}`, `--watch-namespace=${system}`],
      env: {
        ...Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!])),
        POD_NAMESPACE: system,
        KUBERNETES_SERVICE_HOST: api.hostname,
        KUBERNETES_SERVICE_PORT: api.port,
      },
      readOnlyMounts: { '/var/run/secrets/kubernetes.io/serviceaccount': serviceAccount },
      emptyDirs: contents.writable,
      logPath,
    });
    containers.push(agent);
    const log = () => readFileSync(logPath, 'utf8');

    // The Sync reconciles, through git and the API server, as the agent's ServiceAccount.
    await admin.apply(objects.find((o) => o.kind === 'Sync')!, { manager: 'tidemark-tests' });
    await readyAt(admin, system, 'image', repo.head(), 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\nagent log:\n${log()}`);
    });
    expect(await admin.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: apps, name: 'a' })).toMatchObject({
      data: { k: 'v' },
    });

    // The probes and metrics the Deployment's probes and Prometheus read.
    for (const path of ['/healthz', '/readyz']) {
      expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, path).toBe(200);
    }
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^tidemark_/m);

    // Who it runs as, and where it may write.
    const uids = (pid: number) => /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    const node = Number(execFileSync('pgrep', ['-P', String(agent.pid)], { encoding: 'utf8' }).trim());
    expect([uids(agent.pid), uids(node)]).toEqual(['65532', '65532']);
    expect(agent.exec(['touch', '/app/written']).stderr).toContain('Read-only file system');
    expect(agent.exec(['touch', '/usr/local/bin/written']).stderr).toContain('Read-only file system');
    for (const dir of contents.writable) expect(agent.exec(['touch', `${dir}/written`]).status, dir).toBe(0);
    expect(
      JSON.parse(
        log()
          .split('\n')
          .find((l) => l.includes('agent starting'))!,
      ),
    ).toMatchObject({
      version: tidemarkVersion,
    });

    // The kubelet's stop: SIGTERM to the container's first process; tini hands it to the agent, which exits 0.
    agent.kill('TERM');
    const code = await Promise.race([agent.exited, eventually(async () => false, 45_000, 'a clean stop')]);
    expect(code).toBe(0);
    expect(log()).toContain('"message":"agent stopped"');
  });
});
