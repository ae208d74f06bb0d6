/** A step of a reconcile that may not run forever: its signal, and `clear()` once the step is over. */
export interface Deadline {
  readonly signal: AbortSignal;
  clear(): void;
}

/**
 * A deadline for one step of a reconcile (fetching, rendering): its signal aborts after `seconds` with a reason that
 * says what passed and what to do, or at once when `stop` aborts (the agent stopping), with stop's reason. The steps
 * pass it on to git and kustomize, which are killed when it aborts (adapters/git/run-git.ts, engine/render/kustomize.ts).
 *
 * @example
 * const fetching = deadline(180, this.abort.signal);
 * try { await sources.fetch(url, branch, credentials, { signal: fetching.signal }); } finally { fetching.clear(); }
 */
export function deadline(seconds: number, stop: AbortSignal): Deadline {
  const controller = new AbortController();
  const onStop = () => controller.abort(stop.reason);
  const timer = setTimeout(
    () =>
      controller.abort(
        new Error(
          `spec.timeout (${seconds} s) passed. Check that the server answers (and any remote resource it names), or raise spec.timeout`,
        ),
      ),
    seconds * 1000,
  );
  timer.unref();
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}
