import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const functionsDir = resolve(import.meta.dirname, '../../functions');

/** The Lambda functions of `functions/`, by folder. */
export type FunctionName = 'image-updater' | 'webhook' | 'drift-scanner';

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
 * Why this works: Powertools' Logger and Metrics each build their own `Console` over `process.stdout` and
 * `process.stderr` when they are constructed, and a handler constructs them once, at import. So for the duration of
 * the import, `process.stdout` and `process.stderr` are the log file; the module keeps writing there afterwards while
 * everything else this process prints goes to the terminal as before. A module already imported in this process is
 * returned as it is, with its output where it went the first time, as Lambda reuses a warm container.
 *
 * Set the function's environment (`functionEnv`, AWS endpoint) before calling: handlers read it at import.
 *
 * @example
 * const { handler, logPath } = await loadHandler<SqsHandler>('image-updater', join(env.stateDir, 'logs'));
 * await runQueueOnce({ queueUrl, handler });   // its log lines and metrics are in logPath
 */
export async function loadHandler<H>(name: FunctionName, logDir: string): Promise<LoadedHandler<H>> {
  const logPath = join(logDir, `${name}.log`);
  const module = (await withOutputTo(logPath, () => import(join(functionsDir, name, 'handler.ts')))) as {
    handler: H;
  };
  return { handler: module.handler, logPath };
}

/** Runs `work` with `process.stdout` and `process.stderr` replaced by an append stream to `path`. */
export async function withOutputTo<T>(path: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const file = openLog(path);
  const saved = {
    stdout: Object.getOwnPropertyDescriptor(process, 'stdout'),
    stderr: Object.getOwnPropertyDescriptor(process, 'stderr'),
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    Object.defineProperty(process, stream, { configurable: true, enumerable: true, get: () => file });
  }
  try {
    return await work();
  } finally {
    for (const stream of ['stdout', 'stderr'] as const) {
      const descriptor = saved[stream];
      if (descriptor) Object.defineProperty(process, stream, descriptor);
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
