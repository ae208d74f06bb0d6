import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and memory of running processes, read from /proc: what `top` would show, per process, whatever else the
 * machine runs. CPU includes reaped children (the agent's `git` runs count as the agent's).
 */
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU seconds of the process and its reaped children so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is the
  // 14th field of the line, i.e. index 11 here; stime, cutime, cstime follow.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / ticksPerSecond;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
}

/** Resident memory now, in MB. */
export const rssMb = (pid: number) => statusKb(pid, 'VmRSS') / 1024;

/** The largest resident memory the process has had since it started (the kernel's high-water mark), in MB. */
export const peakRssMb = (pid: number) => statusKb(pid, 'VmHWM') / 1024;

/**
 * Samples the summed resident memory of a group of processes (Flux's controllers, say) once a second and keeps the
 * largest sum: the memory the group held at once, which the sum of each one's high-water mark overstates.
 */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: readonly number[]) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  private sample(): void {
    let sum = 0;
    for (const pid of this.pids) {
      try {
        sum += rssMb(pid);
      } catch {
        // exited between samples
      }
    }
    this.peak = Math.max(this.peak, sum);
  }

  /** Stops sampling and returns the largest summed RSS seen, in MB. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** CPU seconds used by a group of processes between `start` and the returned function's call. */
export function cpuMeter(pids: readonly number[]): () => number {
  const total = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const before = total();
  return () => total() - before;
}
