/**
 * Runs `work` with the processes `pids` stopped (SIGSTOP) and continues them after (SIGCONT), whatever happens.
 *
 * Why: the API server counts every client's requests together. To count one tool's requests, the other tool must
 * send none; a stopped process sends nothing and keeps all its state, so it carries on afterwards as if it had been
 * slow, where a restart would re-list and reconcile everything and spoil its own next measurement.
 */
export async function whilePaused<T>(pids: readonly number[], work: () => Promise<T>): Promise<T> {
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  try {
    return await work();
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // it exited meanwhile
      }
    }
  }
}
