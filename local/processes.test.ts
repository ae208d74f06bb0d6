import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ComponentFailed, freePort, isRunning, startDetached, stopProcess, waitUntil } from './processes';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'tidemark-proc-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('starting a local component', () => {
  it('names a component that exits before it is ready, with its last log lines', async () => {
    const log = join(scratch(), 'broken.log');
    const p = startDetached('broken', 'bash', ['-c', 'echo "listen tcp: address already in use" >&2; exit 3'], log);
    const failure = await waitUntil('broken', async () => false, {
      timeoutMs: 10_000,
      process: p,
      commandHint: 'bash',
    }).catch((e) => e);
    expect(failure).toBeInstanceOf(ComponentFailed);
    expect(failure.message).toMatch(/^broken exited before it was ready/);
    expect(failure.message).toContain('address already in use');
  });

  it('stops a running component by its process id, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const log = join(scratch(), 'stubborn.log');
    const p = startDetached('stubborn', 'bash', ['-c', 'trap "" TERM; while true; do sleep 0.1; done'], log);
    expect(isRunning(p, 'bash')).toBe(true);
    await stopProcess(p, 'bash', 500);
    expect(isRunning(p, 'bash')).toBe(false);
  });

  it('does not signal a recycled pid that now belongs to another command', async () => {
    const other = startDetached('other', 'sleep', ['30'], join(scratch(), 'other.log'));
    // The record says "kube-apiserver" ran under this pid; the process there now is `sleep`, so it is left alone.
    expect(isRunning(other, 'kube-apiserver')).toBe(false);
    await stopProcess(other, 'kube-apiserver', 200);
    expect(isRunning(other, 'sleep')).toBe(true);
    await stopProcess(other, 'sleep', 200);
  });

  it('picks free loopback ports', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    for (const port of ports) expect(port).toBeGreaterThan(1024);
  });
});
