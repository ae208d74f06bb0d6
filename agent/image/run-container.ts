import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** The parts of an OCI image config a container runtime reads (config.json from build-image.sh). */
export interface ImageConfig {
  architecture: string;
  os: string;
  config: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    Labels?: Record<string, string>;
  };
}

/** What a Pod's container spec would say, for the parts the agent's Deployment uses. */
export interface ContainerOptions {
  /** A folder from build-image.sh: image.tar, config.json, digest. */
  imageDir: string;
  /** The container's name, unique among running ones (runc's id). */
  name: string;
  /** Replace the image's CMD, as a Pod's `args` does. */
  args?: string[];
  /** Added to the image's environment, as a Pod's `env`. */
  env?: Record<string, string>;
  /** Host folders mounted read-only, by path in the container (a projected ServiceAccount token, say). */
  readOnlyMounts?: Record<string, string>;
  /** Paths in the container that get an empty writable tmpfs each, owned by the image user (the pod's emptyDirs). */
  emptyDirs?: string[];
  /** Where the container's stdout and stderr go. */
  logPath: string;
}

export interface RunningContainer {
  name: string;
  /** The host pid of the container's first process (tini). */
  pid: number;
  /** Resolves with the container's exit code when it ends. */
  exited: Promise<number>;
  /** Runs a command in the container as `user` (default: the image user), like `kubectl exec`. */
  exec(args: string[], user?: string): { status: number | null; stdout: string; stderr: string };
  /** Sends a signal to the container's first process, as the kubelet does to stop a pod. */
  kill(signal: 'TERM' | 'KILL'): void;
  /** Removes what is left of the container (after it ended, or by force). */
  remove(): void;
}

/**
 * Runs the agent image with runc (Debian's OCI runtime), set up as agent/deploy's pod runs it in Kubernetes: as the
 * image user, with a read-only root filesystem, no capabilities and no privilege escalation, writable only where
 * emptyDirs are mounted. The container shares this machine's network (as a pod on hostNetwork would), so it reaches
 * the local API server and git server on loopback. For the tests; there is no kubelet here (kwok plays the node).
 *
 * Why runc and not a library or Docker: no Docker engine runs here, and runc is what containerd runs a pod's
 * containers with, so the image is started by the same code path as in a cluster.
 */
export async function startContainer(options: ContainerOptions): Promise<RunningContainer> {
  const config = JSON.parse(readFileSync(join(options.imageDir, 'config.json'), 'utf8')) as ImageConfig;
  const rootfs = unpackedRoot(options.imageDir);
  const bundle = mkdtempSync(join(tmpdir(), `runc-${options.name}-`));
  const [uid, gid] = (config.config.User ?? '0:0').split(':').map(Number) as [number, number];
  const env = [...(config.config.Env ?? []), ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const args = [...(config.config.Entrypoint ?? []), ...(options.args ?? config.config.Cmd ?? [])];
  const none = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  const spec = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid, gid },
      args,
      env,
      cwd: config.config.WorkingDir || '/',
      capabilities: none,
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: true },
    hostname: options.name,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...(options.emptyDirs ?? []).map((destination) => ({
        destination,
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', destination === '/tmp' ? 'mode=1777' : 'mode=0755', `uid=${uid}`, `gid=${gid}`],
      })),
      ...Object.entries(options.readOnlyMounts ?? {}).map(([destination, source]) => ({
        destination,
        type: 'bind',
        source,
        options: ['rbind', 'ro'],
      })),
    ],
    linux: {
      // No network namespace: the pod is on this machine's network (loopback reaches the local environment).
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));

  const log = openSync(options.logPath, 'a');
  const runc: ChildProcess = spawn('runc', ['run', '--bundle', bundle, options.name], { stdio: ['ignore', log, log] });
  let ended = false;
  const exited = new Promise<number>((resolve, reject) => {
    runc.once('error', reject);
    runc.once('exit', (code, signal) => {
      ended = true;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  const pid = await waitForPid(options.name, () => ended, options.logPath);
  const runcCommand = (...a: string[]) => execFileSync('runc', a, { stdio: 'pipe' });
  return {
    name: options.name,
    pid,
    exited,
    exec(command, user = `${uid}:${gid}`) {
      const r = spawnSyncRunc(['exec', '--user', user, options.name, ...command]);
      return r;
    },
    kill(signal) {
      runcCommand('kill', options.name, signal);
    },
    remove() {
      try {
        runcCommand('delete', '--force', options.name);
      } catch {
        // Gone already: `runc run` removes a container when it ends.
      }
      rmSync(bundle, { recursive: true, force: true });
    },
  };
}

/** The image's filesystem, flattened from its layers once per digest (crane export), beside the image. */
function unpackedRoot(imageDir: string): string {
  const digest = readFileSync(join(imageDir, 'digest'), 'utf8').trim().replace('sha256:', '');
  const root = join(imageDir, `rootfs-${digest.slice(0, 16)}`);
  if (existsSync(root)) return root;
  const crane = /^CRANE=(.*)$/m.exec(
    execFileSync('bash', [join(import.meta.dirname, 'tools/build.sh')], { encoding: 'utf8' }),
  )![1]!;
  // Each build of the bundle is a new digest: the filesystems of earlier ones (300 MB each) go, so they do not pile up.
  for (const entry of readdirSync(imageDir)) {
    if (entry.startsWith('rootfs-') && !entry.startsWith(basename(root))) {
      rmSync(join(imageDir, entry), { recursive: true, force: true });
    }
  }
  const partial = `${root}.${process.pid}.tmp`;
  mkdirSync(partial, { recursive: true });
  execFileSync('bash', [
    '-c',
    `"$0" export - - < "$1" | tar -x --numeric-owner -C "$2"`,
    crane,
    join(imageDir, 'image.tar'),
    partial,
  ]);
  try {
    renameSync(partial, root);
  } catch (error) {
    // Another test file unpacked the same image at the same time: use theirs.
    if (!existsSync(root)) throw error;
    rmSync(partial, { recursive: true, force: true });
  }
  return root;
}

/** The host pid of a container's init, once runc has started it; fails with the log when runc gives up. */
async function waitForPid(name: string, ended: () => boolean, logPath: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !ended()) {
    const r = spawnSyncRunc(['state', name]);
    if (r.status === 0) {
      const state = JSON.parse(r.stdout) as { pid: number; status: string };
      if (state.pid > 0 && state.status === 'running') return state.pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
  throw new Error(`container ${name} did not start${ended() ? '' : ' within 30 s'}; its log ends:\n${log}`);
}

function spawnSyncRunc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync('runc', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    const error = e as { status: number | null; stdout?: string; stderr?: string };
    return { status: error.status, stdout: String(error.stdout ?? ''), stderr: String(error.stderr ?? '') };
  }
}
