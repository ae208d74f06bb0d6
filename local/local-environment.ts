import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { createLocalResources } from './aws-resources';
import { kubeReady, startControlPlane } from './control-plane';
import {
  DEFAULT_SLACK_WEBHOOK_PATH,
  type LocalEnvironment,
  type LocalProcess,
  type LocalResources,
} from './environment';
import { localDeploymentConfig } from './local-deployment';
import { localGit, localGitAuthHeader } from './local-git';
import { createLocalStack } from './local-stack';
import { launchRegistry, registryCommandHint, registryReady } from './oci-registry';
import { postgresReady, putPostgresAdminSecret, startPostgres, stopPostgres } from './postgres';
import { ComponentFailed, freePort, isRunning, startDetached, stopProcess, waitUntil } from './processes';

/** The checkout this file belongs to. */
export const projectRoot = resolve(import.meta.dirname, '..');

/** Where the local environment keeps its data, logs and `environment.json`. */
export function stateDir(): string {
  return process.env.TIDEMARK_LOCAL_DIR ?? join(projectRoot, '.cache', 'local');
}

const statePath = () => join(stateDir(), 'environment.json');

/** The process name under which `tidemark demo` registers the agent it starts. */
export const DEMO_AGENT = 'tidemark-agent';

/** The command line each component was started with contains this; `down` checks it before killing a pid. */
const commandHints: Record<string, string> = {
  etcd: 'etcd',
  'kube-apiserver': 'kube-apiserver',
  'kube-controller-manager': 'kube-controller-manager',
  'kube-scheduler': 'kube-scheduler',
  kwok: 'kwok',
  'git-server': 'git-server',
  moto: 'moto_server',
  'slack-receiver': 'slack-receiver',
  registry: registryCommandHint,
  postgres: 'postgres',
  [DEMO_AGENT]: 'cli/bin.js',
};

export function readEnvironment(): LocalEnvironment | undefined {
  if (!existsSync(statePath())) return undefined;
  return JSON.parse(readFileSync(statePath(), 'utf8')) as LocalEnvironment;
}

export interface ComponentHealth {
  name: string;
  pid: number;
  running: boolean;
  healthy: boolean;
}

/** Which components run and answer their health checks. */
export async function environmentHealth(env: LocalEnvironment): Promise<ComponentHealth[]> {
  const probes: Record<string, () => Promise<boolean>> = {
    'kube-apiserver': () => kubeReady(env.kube.server, env.kube.caPath, env.kube.adminToken),
    'git-server': () => ok(`${env.git.url}/_health`),
    moto: () => ok(`${env.aws.endpoint}/moto-api/`),
    'slack-receiver': () => ok(`${env.slack.controlUrl}/_health`),
    registry: () => registryReady(env.registry),
    postgres: () => postgresReady(env.postgres),
  };
  return Promise.all(
    env.processes.map(async (p) => {
      const running = isRunning(p, commandHints[p.name] ?? p.name);
      const probe = probes[p.name];
      const healthy = running && (probe ? await probe().catch(() => false) : true);
      return { name: p.name, pid: p.pid, running, healthy };
    }),
  );
}

async function ok(url: string): Promise<boolean> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  return r.ok;
}

/**
 * Paths of the cached tools, building or installing them first when missing (slow only the first time, and then
 * said up front: what is built, about how long it takes, where the logs are; each component prints its own line).
 */
function ensureTools(log: (line: string) => void): { k8sBin: string; motoVenv: string; registry: string } {
  const script = (name: string) => join(projectRoot, name);
  const missing = ['local/k8s/build.sh', 'local/moto/install.sh'].flatMap((name) =>
    execFileSync('bash', [script(name), '--missing'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean),
  );
  if (missing.length > 0) {
    log(
      `first run on this machine: building ${missing.join(', ')} (about 7 minutes on two cores, once; logs in ${join(process.env.TIDEMARK_CACHE ?? join(homedir(), '.cache', 'tidemark'), 'logs')})`,
    );
  }
  const run = (name: string) =>
    execFileSync('bash', [script(name)], { stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim()
      .split('\n')
      .pop()!;
  return {
    k8sBin: run('local/k8s/build.sh'),
    motoVenv: run('local/moto/install.sh'),
    registry: run('local/registry/build.sh'),
  };
}

/**
 * Starts the whole environment in the background, or returns the running one when it is healthy. When a component
 * fails to start, everything started so far is stopped and the error names the component with its last log lines.
 */
export async function up(log: (line: string) => void = () => {}): Promise<LocalEnvironment> {
  // Test workers, the demo and a developer's shell may all call `up` at once; one of them starts, the rest reuse.
  return withStateLock(() => startOrReuse(log));
}

async function startOrReuse(log: (line: string) => void): Promise<LocalEnvironment> {
  const existing = readEnvironment();
  if (existing && !existing.postgres) {
    log('the running local environment predates its PostgreSQL server; replacing it');
    await down(existing);
  } else if (existing) {
    // Under load (a benchmark, a parallel test run) a health probe can time out once; replacing a shared
    // environment would pull it from under every other user, so only a component that stays down counts.
    for (let attempt = 1; ; attempt++) {
      // The demo's agent (registered so `down` stops it after `demo --keep`) is not part of the environment.
      const health = (await environmentHealth(existing)).filter((h) => h.name !== DEMO_AGENT);
      if (health.every((h) => h.healthy)) {
        log('reusing the running local environment');
        return refreshResources(existing);
      }
      if (attempt === 3 || health.some((h) => !h.running)) {
        const broken = health.filter((h) => !h.healthy).map((h) => h.name);
        log(`the running local environment is unhealthy (${broken.join(', ')}); replacing it`);
        await down(existing);
        break;
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }

  const tools = ensureTools(log);
  const dir = stateDir();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started: LocalProcess[] = [];
  const nodeWithTsx = (script: string) =>
    [process.execPath, ['--import', 'tsx', join(projectRoot, 'local', script)]] as const;

  try {
    log('starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok');
    const kube = await startControlPlane(tools.k8sBin, dir);
    started.push(...kube.processes);

    const [gitPort, motoPort, slackPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const git = { url: `http://127.0.0.1:${gitPort}`, username: 'tidemark', password: randomBytes(12).toString('hex') };
    const gitRoot = join(dir, 'git');
    const [node, gitArgs] = nodeWithTsx('git-server.ts');
    const gitProcess = startDetached(
      'git-server',
      node,
      [
        ...gitArgs,
        '--root',
        gitRoot,
        '--port',
        String(gitPort),
        '--username',
        git.username,
        '--password',
        git.password,
      ],
      join(dir, 'git-server.log'),
    );
    started.push(gitProcess);
    const [, slackArgs] = nodeWithTsx('slack-receiver.ts');
    const slackProcess = startDetached(
      'slack-receiver',
      node,
      [...slackArgs, '--port', String(slackPort)],
      join(dir, 'slack-receiver.log'),
    );
    started.push(slackProcess);
    const motoProcess = startDetached(
      'moto',
      join(tools.motoVenv, 'bin', 'moto_server'),
      ['-H', '127.0.0.1', '-p', String(motoPort)],
      join(dir, 'moto.log'),
    );
    started.push(motoProcess);

    const { registry, process: registryProcess } = await launchRegistry(tools.registry, dir);
    started.push(registryProcess);

    log('starting the git server, moto, the Slack receiver, the OCI registry and PostgreSQL');
    const postgres = startPostgres(projectRoot, dir, (p) => started.push(p));
    const aws = {
      endpoint: `http://127.0.0.1:${motoPort}`,
      region: 'us-east-1',
      accessKeyId: 'testing',
      secretAccessKey: 'testing',
      accountId: '123456789012',
    };
    const slack = {
      webhookUrl: `http://127.0.0.1:${slackPort}${DEFAULT_SLACK_WEBHOOK_PATH}`,
      controlUrl: `http://127.0.0.1:${slackPort}`,
    };
    await Promise.all([
      waitUntil('git server', () => ok(`${git.url}/_health`), {
        timeoutMs: 30_000,
        process: gitProcess,
        commandHint: 'git-server',
      }),
      waitUntil('moto', () => ok(`${aws.endpoint}/moto-api/`), {
        timeoutMs: 60_000,
        process: motoProcess,
        commandHint: 'moto_server',
      }),
      waitUntil('slack receiver', () => ok(`${slack.controlUrl}/_health`), {
        timeoutMs: 30_000,
        process: slackProcess,
        commandHint: 'slack-receiver',
      }),
      waitUntil('registry', () => registryReady(registry), {
        timeoutMs: 30_000,
        process: registryProcess,
        commandHint: registryCommandHint,
      }),
      postgres,
    ]);

    log('seeding the example config repo and the AWS resources');
    const exampleRepoUrl = await seedExampleRepo(git, 'config');
    const clusters = ['dev', 'prod'];
    const resources = await createLocalResources(aws, clusters, {
      gitUsername: git.username,
      gitPassword: git.password,
      slackWebhookUrl: slack.webhookUrl,
    });
    // The deployed stack's install outputs, which `tidemark install` reads with DescribeStacks.
    await createLocalStack(aws, resources);
    await putPostgresAdminSecret(aws, await postgres);
    const config = localDeploymentConfig(exampleRepoUrl, resources.secrets);
    const env: LocalEnvironment = {
      stateDir: dir,
      kube: {
        server: kube.server,
        kubeconfigPath: kube.kubeconfigPath,
        adminToken: kube.adminToken,
        caPath: kube.caPath,
      },
      git: { ...git, root: gitRoot, exampleRepoUrl },
      aws,
      postgres: await postgres,
      slack,
      registry,
      resources,
      functionEnv: functionEnvFor(config, resources),
      processes: started,
    };
    writeFileSync(join(dir, 'tidemark.config.json'), JSON.stringify(config, null, 2));
    writeFileSync(statePath(), JSON.stringify(env, null, 2));
    return env;
  } catch (e) {
    await Promise.all(started.map((p) => stopProcess(p, commandHints[p.name] ?? p.name)));
    if (e instanceof ComponentFailed) throw e;
    throw new Error(`tidemark local up failed: ${(e as Error).message}. Everything it started was stopped`, {
      cause: e,
    });
  }
}

/** The environment the Lambda handlers get in AWS (functions/function-env.ts), pointing at the local resources. */
function functionEnvFor(config: DeploymentConfig, resources: LocalResources): Record<string, string> {
  return {
    TIDEMARK_CONFIG: JSON.stringify(config),
    TIDEMARK_TABLE_NAME: resources.tableName,
    TIDEMARK_SYNC_QUEUE_URLS: JSON.stringify(resources.syncQueueUrls),
    TIDEMARK_ALERTS_TOPIC_ARN: resources.alertsTopicArn,
    TIDEMARK_FLUSH_QUEUE_URL: resources.flushQueueUrl,
    TIDEMARK_EVENTS_DLQ_URL: resources.eventsDlqUrl,
    TIDEMARK_DRIFT_CACHE_KEY_SECRET: resources.secrets.driftCacheKey,
    TIDEMARK_PROMOTER_QUEUE_URL: resources.promoterQueueUrl,
    POWERTOOLS_METRICS_NAMESPACE: 'Tidemark',
  };
}

/**
 * A running environment started by an older checkout may lack resources added since (creating them is idempotent):
 * they are created, and the state file rewritten, so `git pull` does not require a `tidemark local down`.
 */
async function refreshResources(env: LocalEnvironment): Promise<LocalEnvironment> {
  const resources = await createLocalResources(env.aws, Object.keys(env.resources.syncQueueUrls), {
    gitUsername: env.git.username,
    gitPassword: env.git.password,
    slackWebhookUrl: env.slack.webhookUrl,
  });
  const config = localDeploymentConfig(env.git.exampleRepoUrl, resources.secrets);
  const refreshed = { ...env, resources, functionEnv: functionEnvFor(config, resources) };
  if (JSON.stringify(refreshed) !== JSON.stringify(env)) writeFileSync(statePath(), JSON.stringify(refreshed, null, 2));
  return refreshed;
}

/**
 * Runs `work` holding the state folder's lock: a directory created atomically next to it, holding the owner's pid.
 * A lock whose owner died is taken over. Why not a lock library: one mkdir is the whole mechanism, and it is the
 * same on every filesystem the state folder can live on.
 */
async function withStateLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = `${stateDir()}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 15 * 60_000; // a first-time build of the control plane can hold it this long
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : Number.NaN);
      if (Number.isFinite(owner) && !processAlive(owner)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline)
        throw new Error(`${lock} is held by process ${owner}. Remove it if that process is gone`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops every recorded component by process id (never by name) and forgets the environment. */
export async function down(env = readEnvironment()): Promise<void> {
  if (!env) return;
  // Reverse start order: kwok and the controllers before the API server, the API server before etcd.
  for (const p of [...env.processes].reverse()) {
    if (p.name === 'postgres') await stopPostgres(p); // a fast shutdown first; SIGTERM would wait for every session
    await stopProcess(p, commandHints[p.name] ?? p.name);
  }
  rmSync(statePath(), { force: true });
}

/** Creates `<name>.git` on the local git server and pushes `examples/config-repo` to its `main` branch. */
export async function seedExampleRepo(
  git: { url: string; username: string; password: string },
  name: string,
): Promise<string> {
  const created = await fetch(`${git.url}/_admin/repos/${name}`, {
    method: 'POST',
    headers: { authorization: localGitAuthHeader(git) },
  });
  if (!created.ok) throw new Error(`creating the example repo failed (${created.status}): ${await created.text()}`);
  const url = `${git.url}/${name}.git`;
  const work = mkdtempSync(join(tmpdir(), 'tidemark-seed-'));
  try {
    cpSync(join(projectRoot, 'examples', 'config-repo'), work, { recursive: true });
    const g = localGit(git, work);
    g('init', '--quiet', '--initial-branch=main');
    g('add', '-A');
    g('commit', '--quiet', '-m', 'Example config repo');
    g('push', '--quiet', url, 'main');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return url;
}
