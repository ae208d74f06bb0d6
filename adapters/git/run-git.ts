import { spawn } from 'node:child_process';

/** Username and password (or token) for a smart-HTTP git server. Never put them in a URL. */
export interface GitCredentials {
  username: string;
  password: string;
}

/** What one `git` process printed and how it ended. */
export interface GitResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/**
 * A transfer slower than this many bytes a second for {@link stalledTransferSeconds} is abandoned by git itself
 * (`http.lowSpeedLimit`, `http.lowSpeedTime`): a server that accepts the connection and then sends nothing, or a
 * trickle, cannot hold a fetch open. 1 KB/s is far below any real git server, and 30 s covers a slow first pack.
 */
export const stalledTransferBytesPerSecond = 1000;
export const stalledTransferSeconds = 30;

/** A `git` command that exited non-zero. The message holds git's own stderr (never credentials: see {@link runGit}). */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`git ${args[0] ?? ''} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'GitError';
  }
}

export interface RunGitOptions {
  /** The repository to run in (`--git-dir`); omit for commands that take none (`init`). */
  gitDir?: string;
  /** A work tree for the few commands that need one (`checkout-index`). */
  workTree?: string;
  credentials?: GitCredentials;
  /** Written to git's stdin, then closed. */
  input?: string | Buffer;
  /** Extra environment (GIT_INDEX_FILE, author identity). */
  env?: Record<string, string>;
  /** Exit codes that are outcomes rather than failures (a rejected push exits 1). */
  allowExitCodes?: readonly number[];
  /**
   * Kill git (SIGKILL) if it has not finished within this long: the deadline behind the low-speed limit, for what
   * that limit does not see (a TLS handshake that never completes, a server that trickles). Default 10 minutes.
   */
  timeoutMs?: number;
  /** Kill git when this aborts (a reconcile's deadline, the agent stopping). */
  signal?: AbortSignal;
  /** Overrides {@link stalledTransferSeconds} (tests). */
  stalledAfterSeconds?: number;
}

/** git was killed because it outlived its deadline, or because the caller gave up on it. */
export class GitTimeoutError extends Error {
  constructor(
    readonly args: readonly string[],
    reason: string,
  ) {
    super(`git ${args[0] ?? ''} ${reason}`);
    this.name = 'GitTimeoutError';
  }
}

const defaultTimeoutMs = 10 * 60_000;

// Credentials reach git through a credential helper that reads them from the child's environment: they are never in
// argv (visible in `ps`), a URL (echoed by git in errors and stored in config), or a file. The helper text below is
// fixed, so it is safe to show; git runs it through `sh`, which is why the values are referenced, not interpolated.
const CREDENTIAL_HELPER =
  '!f() { test "$1" = get || return 0; printf "username=%s\\npassword=%s\\n" "$TIDEMARK_GIT_CRED_USERNAME" "$TIDEMARK_GIT_CRED_PASSWORD"; }; f';

/**
 * Runs the real `git` CLI without a shell. Global and system configuration are ignored and prompts are off, so a
 * developer's own git setup (stored credentials, hooks, signing) cannot change what Tidemark does.
 */
export function runGit(args: readonly string[], options: RunGitOptions = {}): Promise<GitResult> {
  const config = [
    '-c',
    'credential.helper=',
    ...(options.credentials ? ['-c', `credential.helper=${CREDENTIAL_HELPER}`] : []),
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'commit.gpgSign=false',
    '-c',
    'protocol.version=2',
    '-c',
    `http.lowSpeedLimit=${stalledTransferBytesPerSecond}`,
    '-c',
    `http.lowSpeedTime=${options.stalledAfterSeconds ?? stalledTransferSeconds}`,
  ];
  const fullArgs = [
    ...config,
    ...(options.gitDir ? ['--git-dir', options.gitDir] : []),
    ...(options.workTree ? ['--work-tree', options.workTree] : []),
    ...args,
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // Paths we pass are file names, never patterns: `apps/*` means the folder named `*`.
    GIT_LITERAL_PATHSPECS: '1',
    ...options.env,
    ...(options.credentials
      ? {
          TIDEMARK_GIT_CRED_USERNAME: options.credentials.username,
          TIDEMARK_GIT_CRED_PASSWORD: options.credentials.password,
        }
      : {}),
  };
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new GitTimeoutError(args, `was not started: ${abortReason(options.signal)}`));
      return;
    }
    // A process group of its own: `git fetch` talks HTTP through a `git-remote-https` child, which holds the connection
    // and our stdout pipe. Killing git alone would leave that child hanging on a silent server (and `close` unfired).
    const child = spawn('git', fullArgs, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let killedBecause: string | undefined;
    const kill = (because: string) => {
      killedBecause ??= because;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already, or was never made
      }
    };
    const timer = setTimeout(
      () => kill(`did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`),
      timeoutMs,
    );
    const onAbort = () => kill(`was stopped: ${abortReason(options.signal)}`);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new Error(`git could not be started (${e.message}). Install git 2.30 or newer on PATH`, { cause: e })),
    );
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (killedBecause) {
        reject(new GitTimeoutError(args, killedBecause));
        return;
      }
      const result = { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? 1 };
      if (result.exitCode === 0 || options.allowExitCodes?.includes(result.exitCode)) resolve(result);
      else reject(new GitError(args, result.exitCode, result.stderr));
    });
    child.stdin.on('error', () => {}); // git may exit before reading all input; its exit code tells the story
    child.stdin.end(options.input ?? '');
  });
}

/** Why a signal aborted, in words: its reason's message, or "aborted". */
function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  if (typeof reason === 'string') return reason;
  return 'aborted';
}
