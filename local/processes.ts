import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { LocalProcess } from './environment';

/** A free TCP port on 127.0.0.1, picked by the kernel. Nothing of ours ever listens beyond loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts a long-running component detached from this process (so `tidemark local up` can return), with its output in
 * a log file. The returned record is what `down` uses to stop it: by process id, never by name.
 */
export function startDetached(
  name: string,
  command: string,
  args: string[],
  logPath: string,
  env: NodeJS.ProcessEnv = process.env,
  /** Run as this user (a server that refuses root, such as PostgreSQL). */
  identity?: { uid: number; gid: number },
): LocalProcess {
  const out = openSync(logPath, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env, ...(identity ?? {}) });
  closeSync(out);
  if (child.pid === undefined)
    throw new Error(`${name}: could not start ${command}. Check that it exists and is executable`);
  child.unref();
  return { name, pid: child.pid, logPath };
}

/** True when the process is alive and is still the command we started (guards against a recycled pid). */
export function isRunning(p: LocalProcess, commandHint: string): boolean {
  try {
    process.kill(p.pid, 0);
  } catch {
    return false;
  }
  const proc = `/proc/${p.pid}`;
  if (!existsSync(proc)) return true;
  try {
    // A zombie (killed, not yet reaped by its parent) still answers signal 0 but runs nothing.
    if (readFileSync(`${proc}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return false;
    return readFileSync(`${proc}/cmdline`, 'utf8').includes(commandHint);
  } catch {
    return false; // it exited between the signal and the read
  }
}

/** Stops a process: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is gone. */
export async function stopProcess(p: LocalProcess, commandHint: string, graceMs = 5_000): Promise<void> {
  if (!isRunning(p, commandHint)) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(p, commandHint)) return;
    await sleep(100);
  }
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && isRunning(p, commandHint); i++) await sleep(100);
}

/** The last lines of a component's log, for the error that says why it failed to start. */
export function lastLines(path: string, count = 15): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; also fails early when the process died. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; process?: LocalProcess; commandHint?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (opts.process && opts.commandHint && !isRunning(opts.process, opts.commandHint)) {
      throw new ComponentFailed(opts.process, `exited before it was ready`);
    }
    await sleep(200);
  }
  throw opts.process
    ? new ComponentFailed(opts.process, `was not ready after ${opts.timeoutMs / 1000}s`)
    : new Error(`${what} was not ready after ${opts.timeoutMs / 1000}s`);
}

/** A component that did not come up; the message carries its last log lines. */
export class ComponentFailed extends Error {
  constructor(
    readonly component: LocalProcess,
    problem: string,
  ) {
    super(`${component.name} ${problem}. Its last log lines (${component.logPath}):\n${lastLines(component.logPath)}`);
    this.name = 'ComponentFailed';
  }
}
