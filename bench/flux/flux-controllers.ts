import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sleep } from '../../local/processes';

/** The Flux controllers the race runs, as local/flux/build.sh builds them. */
export const FLUX_CONTROLLERS = ['source-controller', 'kustomize-controller', 'notification-controller'] as const;
export type FluxController = (typeof FLUX_CONTROLLERS)[number];

export interface FluxBuild {
  /** Per controller: the folder holding `bin/<controller>` and `crds/*.yaml`, and its version. */
  controllers: Record<FluxController, { dir: string; version: string }>;
}

const root = join(import.meta.dirname, '../..');

/**
 * Flux's controllers from the per-user cache, built from the Go module proxy first when missing (minutes, once per
 * version; local/flux/build.sh prints one progress line per controller and keeps the full log in the cache).
 */
export function buildFlux(): FluxBuild {
  const out = execFileSync('bash', [join(root, 'local/flux/build.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString();
  const dirs = new Map(
    out
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  const controllers = Object.fromEntries(
    FLUX_CONTROLLERS.map((name) => {
      const dir = dirs.get(name);
      if (!dir || !existsSync(join(dir, 'bin', name))) throw new Error(`local/flux/build.sh did not build ${name}`);
      return [name, { dir, version: dir.slice(dir.lastIndexOf('-') + 1) }];
    }),
  ) as FluxBuild['controllers'];
  return { controllers };
}

/** True when every controller is already in the cache: nothing would be built. */
export function fluxIsCached(): boolean {
  return (
    execFileSync('bash', [join(root, 'local/flux/build.sh'), '--missing'], { stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim() === ''
  );
}

/** Installs the CRDs that came with each controller's module version and waits until the API server serves them. */
export function installFluxCrds(build: FluxBuild, kubeconfig: string): void {
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  for (const { dir } of Object.values(build.controllers)) {
    execFileSync('kubectl', ['apply', '--server-side', '--force-conflicts', '-f', join(dir, 'crds')], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  execFileSync(
    'kubectl',
    [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/gitrepositories.source.toolkit.fluxcd.io',
      'crd/kustomizations.kustomize.toolkit.fluxcd.io',
      'crd/receivers.notification.toolkit.fluxcd.io',
    ],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

export interface RunningFlux {
  /** Process ids by controller. */
  pids: Record<FluxController, number>;
  /** Base URL of notification-controller's webhook receiver (a Receiver's `status.webhookPath` goes after it). */
  receiverUrl: string;
  /** Each controller's Prometheus metrics (controller-runtime's, incl. client-go's `rest_client_requests_total`). */
  metrics(controller: FluxController): Promise<string>;
  /** SIGTERM to each, and resolves once all have exited. */
  stop(): Promise<void>;
}

/**
 * Starts Flux's controllers as local processes against the API server of `kubeconfig`, with the arguments of their
 * own `config/manager/deployment.yaml` (all namespaces, info logs as JSON) except leader election, which is off as
 * for a single replica; every address on loopback (each controller would bind :8080 and :9440 otherwise), events
 * sent to notification-controller as `flux install` wires them. Resolves once each answers its `/readyz`.
 */
export async function startFlux(
  build: FluxBuild,
  options: { kubeconfig: string; workDir: string },
): Promise<RunningFlux> {
  const logDir = join(options.workDir, 'logs');
  const storage = join(options.workDir, 'source-controller-storage');
  const tmp = join(options.workDir, 'tmp');
  for (const dir of [logDir, storage, tmp]) mkdirSync(dir, { recursive: true });
  const port = async () => `127.0.0.1:${await freePort()}`;
  const [eventsAddr, receiverAddr, storageAddr] = [await port(), await port(), await port()];
  const common = ['--watch-all-namespaces', '--log-level=info', '--log-encoding=json'];
  const args: Record<FluxController, string[]> = {
    'source-controller': [
      ...common,
      `--storage-path=${storage}`,
      `--storage-addr=${storageAddr}`,
      `--storage-adv-addr=${storageAddr}`,
      `--events-addr=http://${eventsAddr}/`,
    ],
    'kustomize-controller': [...common, `--events-addr=http://${eventsAddr}/`],
    'notification-controller': [...common, `--events-addr=${eventsAddr}`, `--receiverAddr=${receiverAddr}`],
  };
  const children = new Map<FluxController, ChildProcess>();
  const health = new Map<FluxController, string>();
  const metrics = new Map<FluxController, string>();
  const stop = async () => {
    await Promise.all(
      [...children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGCONT'); // a paused controller cannot act on SIGTERM
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
        await exited;
      }),
    );
  };
  try {
    for (const name of FLUX_CONTROLLERS) {
      const [healthAddr, metricsAddr] = [await port(), await port()];
      health.set(name, healthAddr);
      metrics.set(name, metricsAddr);
      const logPath = join(logDir, `${name}.log`);
      const out = openSync(logPath, 'a');
      const child = spawn(
        join(build.controllers[name].dir, 'bin', name),
        [...args[name], `--metrics-addr=${metricsAddr}`, `--health-addr=${healthAddr}`],
        {
          stdio: ['ignore', out, out],
          env: { ...process.env, KUBECONFIG: options.kubeconfig, RUNTIME_NAMESPACE: 'flux-system', TMPDIR: tmp },
        },
      );
      closeSync(out);
      children.set(name, child);
    }
    for (const name of FLUX_CONTROLLERS) {
      const child = children.get(name)!;
      for (let i = 0; ; i++) {
        if (child.exitCode !== null)
          throw new Error(`${name} exited (${child.exitCode}) before it was ready; see ${join(logDir, `${name}.log`)}`);
        const ready = await fetch(`http://${health.get(name)}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) break;
        if (i > 600) throw new Error(`${name} was not ready after 60 s; see ${join(logDir, `${name}.log`)}`);
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pids: Object.fromEntries([...children].map(([name, child]) => [name, child.pid!])) as RunningFlux['pids'],
    receiverUrl: `http://${receiverAddr}`,
    metrics: async (name) => (await fetch(`http://${metrics.get(name)}/metrics`)).text(),
    stop,
  };
}
