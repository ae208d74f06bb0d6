import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { agentBundleOptions } from '../../agent/image/bundle-agent';
import { freePort, sleep } from '../../local/processes';

/**
 * Bundles the agent as its image ships it (agent/image/bundle-agent.ts, the one definition) into `outdir`, and returns
 * the bundle's entry file, so a benchmark measures the memory and CPU of what runs in the cluster, not of tsx.
 */
export async function bundleAgent(outdir: string): Promise<string> {
  await build(agentBundleOptions(outdir));
  return join(outdir, 'main.js');
}

export interface AgentProcess {
  pid: number;
  /** Port of /healthz, /readyz and /metrics. */
  port: number;
  logPath: string;
  /** The agent's own Prometheus metrics. */
  metrics(): Promise<string>;
  /** SIGTERM, and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `tidemark agent` from the bundle as its own process, with the image's Node flags, and resolves once its
 * `/readyz` answers. `args` are the agent's own flags (`--sync-queue-url`, `--watch-namespace`, …).
 */
export async function startAgentProcess(
  bundle: string,
  options: { cacheDir: string; logDir: string; args?: string[]; env?: NodeJS.ProcessEnv },
): Promise<AgentProcess> {
  mkdirSync(options.logDir, { recursive: true });
  const port = await freePort();
  const logPath = join(options.logDir, 'tidemark-agent.log');
  const out = openSync(logPath, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--max-semi-space-size=2', // as agent/Dockerfile's ENTRYPOINT
      bundle,
      'agent',
      '--port',
      String(port),
      '--cache-dir',
      options.cacheDir,
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', out, out], env: { ...process.env, ...options.env } },
  );
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`the agent exited (${child.exitCode}) before it was ready; see ${logPath}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 600) throw new Error(`the agent was not ready after 60 s; see ${logPath}`);
    await sleep(100);
  }
  return {
    pid: child.pid!,
    port,
    logPath,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
