import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RenderError } from '../../core/sync/render';

const run = promisify(execFile);

/**
 * The program that builds a kustomization. Where kubectl is installed (the agent image, a laptop, CI) it is
 * `kubectl kustomize DIR`, so overlays behave exactly as users test them; the Lambda runtime has no kubectl, so the
 * drift scanner carries a kustomize binary in a layer and runs `kustomize build DIR`.
 */
export type Kustomizer = { kind: 'kustomize'; binary: string } | { kind: 'kubectl'; binary: string };

export interface KustomizeOptions {
  /**
   * A kustomize binary, run as `kustomize build DIR`; it takes precedence over kubectl.
   * @default `$TIDEMARK_KUSTOMIZE`, unless `kubectl` is given
   */
  kustomize?: string;
  /**
   * The kubectl binary, run as `kubectl kustomize DIR` when no kustomize binary is given.
   * @default `$TIDEMARK_KUBECTL`, else `kubectl` on the PATH
   */
  kubectl?: string;
  /**
   * Kill the builder (SIGKILL) when it has not finished by then: a kustomization can name remote resources, and a
   * server that accepts the connection and never answers would hold the build, and the reconcile, forever.
   * @default 60 s
   */
  timeoutMs?: number;
  /** Kill the builder when this aborts (the reconcile's deadline, the agent stopping). */
  signal?: AbortSignal;
}

/** How long one `kustomize build` may run: seconds for the largest overlays we have seen, so a minute is generous. */
export const kustomizeDeadlineMs = 60_000;

/**
 * Picks the program that builds kustomizations: a binary named in `options` first (so a caller or a test can choose
 * either), then `TIDEMARK_KUSTOMIZE` (set on the drift scanner's Lambda to its layer's `/opt/bin/kustomize`), then
 * `TIDEMARK_KUBECTL` or kubectl on the PATH.
 *
 * @example
 * chooseKustomizer({}, { TIDEMARK_KUSTOMIZE: '/opt/bin/kustomize' }); // { kind: 'kustomize', binary: '/opt/bin/kustomize' }
 */
export function chooseKustomizer(options: KustomizeOptions = {}, env: NodeJS.ProcessEnv = process.env): Kustomizer {
  if (options.kustomize) return { kind: 'kustomize', binary: options.kustomize };
  if (options.kubectl) return { kind: 'kubectl', binary: options.kubectl };
  if (env.TIDEMARK_KUSTOMIZE) return { kind: 'kustomize', binary: env.TIDEMARK_KUSTOMIZE };
  return { kind: 'kubectl', binary: env.TIDEMARK_KUBECTL || 'kubectl' };
}

/**
 * Builds the kustomization in `dir` and returns the multi-document YAML it renders.
 *
 * @param kustomization the kustomization file, as errors should name it (relative to the repository folder).
 * @throws RenderError naming `kustomization` and the builder's own error, or saying which binary could not be run.
 */
export async function kustomize(dir: string, kustomization: string, options: KustomizeOptions = {}): Promise<string> {
  const kustomizer = chooseKustomizer(options);
  const args = kustomizer.kind === 'kustomize' ? ['build', dir] : ['kustomize', dir];
  const command = `${kustomizer.kind} ${args[0]}`;
  try {
    // Rendered output of a large repository can be tens of MB; the default 1 MB buffer would cut it off.
    const { stdout } = await run(kustomizer.binary, args, {
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? kustomizeDeadlineMs,
      killSignal: 'SIGKILL',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
    if (options.signal?.aborted) {
      throw new RenderError(
        kustomization,
        undefined,
        `${command} was stopped: ${(options.signal.reason as Error | undefined)?.message ?? 'aborted'}`,
        'It is retried at the next reconcile',
        { cause: error },
      );
    }
    if (failure.killed) {
      const seconds = Math.round((options.timeoutMs ?? kustomizeDeadlineMs) / 1000);
      throw new RenderError(
        kustomization,
        undefined,
        `${command} did not finish within ${seconds} s and was killed`,
        'Check the remote resources it names (a server that accepts connections and never answers holds the build)',
        { cause: error },
      );
    }
    // A string code is a spawn failure (ENOENT, EACCES): the builder never ran. A number is its exit status.
    if (typeof failure.code === 'string') {
      throw new RenderError(
        kustomization,
        undefined,
        `needs ${kustomizer.kind} to run ${command}, but '${kustomizer.binary}' cannot be run (${failure.code})`,
        kustomizer.kind === 'kustomize'
          ? 'Point TIDEMARK_KUSTOMIZE at a kustomize binary (infra/layers/kustomize/build.sh builds one), or unset it to use kubectl'
          : 'Install kubectl, or set TIDEMARK_KUSTOMIZE to a kustomize binary',
        { cause: error },
      );
    }
    throw new RenderError(
      kustomization,
      undefined,
      `${command} failed: ${builderError(failure)}`,
      'Fix the kustomization',
      {
        cause: error,
      },
    );
  }
}

/**
 * The builder's own message without its wrapping: kustomize prints `Error: …`; kubectl prints `error: …`, or since
 * v1.32 a klog line `E1125 13:05:42.598514 5921 run.go:72] "command failed" err="…"` with the message quoted.
 */
function builderError(failure: Error & { stderr?: string }): string {
  const text = (failure.stderr || failure.message).trim();
  const klog = /^E\d{4} [\d:.]+\s+\d+ \S+] "command failed" err=("(?:[^"\\]|\\.)*")$/m.exec(text);
  if (klog) {
    try {
      return JSON.parse(klog[1] as string) as string;
    } catch {
      // Not JSON-quoted after all: keep the line as kubectl printed it.
    }
  }
  return text.replace(/^error: /i, '');
}
