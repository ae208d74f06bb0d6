import {
  PermanentError,
  type ReconcileContext,
  type ReconcileLog,
  type SecretReader,
} from '../../core/resources/reconciler';
import { type RetryDeps, withRetries } from './with-retries';

/** A run's context and the way to end it. */
export interface Run<Settings> {
  context: ReconcileContext<Settings>;
  /** Runs every `onDone` cleanup; a failing cleanup is logged, never thrown over the run's own outcome. */
  close(): Promise<void>;
}

/**
 * The context of one run of one folder: what every reconciler call of the run shares. `memo` keeps its promises for
 * the run only, so the next run observes the provider afresh. A load is retried with backoff where it runs, and its
 * final failure is kept and marked permanent: 500 record sets in an unreachable zone then fail at once with that one
 * error, instead of each retrying a listing that already failed four times.
 */
export function startRun<Settings>(input: {
  ownerId: string;
  settings: Settings;
  secrets: SecretReader;
  log: ReconcileLog;
  retry?: RetryDeps;
}): Run<Settings> {
  const memos = new Map<string, Promise<unknown>>();
  const cleanups: (() => Promise<void> | void)[] = [];
  const context: ReconcileContext<Settings> = {
    ownerId: input.ownerId,
    settings: input.settings,
    secrets: input.secrets,
    log: input.log,
    memo<T>(key: string, load: () => Promise<T>): Promise<T> {
      let promise = memos.get(key) as Promise<T> | undefined;
      if (!promise) {
        promise = withRetries(load, input.retry).then(
          (done) => done.value,
          (error: Error) => {
            throw new PermanentError(error.message, { cause: error.cause });
          },
        );
        memos.set(key, promise);
      }
      return promise;
    },
    onDone(cleanup) {
      cleanups.push(cleanup);
    },
  };
  return {
    context,
    async close() {
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          input.log.warn('cleanup after the run failed', { error: (error as Error).message });
        }
      }
    },
  };
}

/** A log that drops everything: the CLI's dry run and the benchmark pass it. */
export const silentLog: ReconcileLog = { info: () => {}, warn: () => {} };
