import { AsyncLocalStorage } from 'node:async_hooks';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const functionsDir = resolve(import.meta.dirname, '../../functions');

/** The Lambda functions of `functions/`, by folder. */
export type FunctionName = 'image-updater' | 'webhook' | 'drift-scanner' | 'notifier' | 'promoter';

export interface LoadedHandler<H> {
  handler: H;
  /** Where the function's log lines and EMF metric lines go, as its CloudWatch log group would hold them. */
  logPath: string;
}

/**
 * Imports a Lambda handler in process the way Lambda loads it in a new container, with what the function prints (its
 * Powertools log lines and the EMF metric lines CloudWatch reads metrics from) going to `logPath`, not to this
 * process's terminal: in AWS a function's stdout is its log group, and on a person's screen (the demo, a benchmark)
 * those JSON lines bury the narration.
 *
 * Why this works: Powertools' Logger and Metrics each build a `Console` over `process.stdout` and `process.stderr`
 * when they are constructed: once at import for the handler's own, and again per call for a `singleMetric()`. So the
 * import and every call of the returned handler run with `process.stdout` and `process.stderr` being the log file;
 * between calls they are the terminal again. Calls of several handlers may overlap: each call's async context writes
 * to its own function's file; what other code writes to `process.stdout` meanwhile goes to the terminal.
 *
 * A module already imported in this process is returned as it is (its import-time output went where it went the
 * first time), as Lambda reuses a warm container. Set the function's environment (`functionEnv`, AWS endpoint)
 * before calling: handlers read it at import.
 *
 * @example
 * const { handler, logPath } = await loadHandler<SqsHandler>('image-updater', join(env.stateDir, 'logs'));
 * await runQueueOnce({ queueUrl, handler });   // its log lines and metrics are in logPath
 */
export async function loadHandler<H extends (...args: never[]) => unknown>(
  name: FunctionName,
  logDir: string,
): Promise<LoadedHandler<H>> {
  const logPath = join(logDir, `${name}.log`);
  const module = (await withOutputTo(logPath, () => import(join(functionsDir, name, 'handler.ts')))) as { handler: H };
  const handler = ((...args: Parameters<H>) => withOutputTo(logPath, async () => module.handler(...args))) as H;
  return { handler, logPath };
}

let active = 0;
let saved: Record<'stdout' | 'stderr', PropertyDescriptor | undefined> | undefined;
// Which log the code running now writes to. Calls of different handlers overlap (the demo drains the image updater's
// queue while the notifier drains the events queue), so "the last one set" is not the current one: each call's
// async context carries its own file, and code outside any call writes to the terminal.
const current = new AsyncLocalStorage<WriteStream>();

/**
 * Runs `work` with `process.stdout` and `process.stderr` being an append stream to `path`. Calls may nest or
 * overlap: each writes to its own file, and the terminal comes back when the last one ends.
 */
export async function withOutputTo<T>(path: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const log = openLog(path);
  if (active++ === 0) {
    saved = {
      stdout: Object.getOwnPropertyDescriptor(process, 'stdout'),
      stderr: Object.getOwnPropertyDescriptor(process, 'stderr'),
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const terminal = saved[stream];
      Object.defineProperty(process, stream, {
        configurable: true,
        enumerable: true,
        get: () => current.getStore() ?? (terminal?.get ? terminal.get.call(process) : terminal?.value),
      });
    }
  }
  try {
    return await current.run(log, work);
  } finally {
    if (--active === 0) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const descriptor = saved?.[stream];
        if (descriptor) Object.defineProperty(process, stream, descriptor);
      }
    }
  }
}

// One stream per file for the life of the process: every handler loaded with the same log keeps writing to it.
const logs = new Map<string, WriteStream>();
function openLog(path: string): WriteStream {
  let stream = logs.get(path);
  if (!stream) {
    stream = createWriteStream(path, { flags: 'a' });
    logs.set(path, stream);
  }
  return stream;
}
