import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../core/resources/reconciler';
import { silentLog, startRun } from './run-context';
import { RetriesExhausted, withRetries } from './with-retries';

/** A provider call that fails `times` times with `error`, then answers. */
function failing(times: number, error: () => Error = () => throttled()) {
  let calls = 0;
  return {
    call: async () => {
      calls++;
      if (calls <= times) throw error();
      return 'answer';
    },
    calls: () => calls,
  };
}
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

/** The waits the backoff asked for, instead of sleeping them. */
function recordedWaits(random: number) {
  const waits: number[] = [];
  return { waits, deps: { sleep: async (ms: number) => void waits.push(ms), random: () => random } };
}

describe('withRetries', () => {
  it('retries a failing call with exponential backoff, and says how many tries it took', async () => {
    const { waits, deps } = recordedWaits(1);
    const provider = failing(3);
    expect(await withRetries(provider.call, deps)).toEqual({ value: 'answer', attempts: 4 });
    expect(waits).toEqual([250, 500, 1000]);
  });

  it('waits at least half of each delay (equal jitter), and never longer than the cap', async () => {
    const { waits, deps } = recordedWaits(0);
    const policy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 600 };
    await withRetries(failing(4).call, { ...deps, policy });
    expect(waits).toEqual([125, 250, 300, 300]);
  });

  it("gives up after four tries with the last error's message", async () => {
    const provider = failing(10);
    const error = await withRetries(provider.call, recordedWaits(0).deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhausted);
    expect(error).toMatchObject({ attempts: 4, message: 'Rate exceeded' });
    expect(provider.calls()).toBe(4);
  });

  it('does not retry a PermanentError', async () => {
    const { waits, deps } = recordedWaits(0);
    const provider = failing(10, () => new PermanentError('the zone is not in hostedZoneIds'));
    await expect(withRetries(provider.call, deps)).rejects.toMatchObject({ attempts: 1 });
    expect(provider.calls()).toBe(1);
    expect(waits).toEqual([]);
  });
});

describe('memo in a run', () => {
  const run = () =>
    startRun({
      ownerId: 'acme',
      settings: {},
      secrets: { value: async () => '', version: async () => '' },
      log: silentLog,
      retry: recordedWaits(0).deps,
    });

  it('loads once per run, retried, and shares the result with every caller', async () => {
    const { context } = run();
    const listing = failing(2);
    const answers = await Promise.all([1, 2, 3].map(() => context.memo('zone', listing.call)));
    expect(answers).toEqual(['answer', 'answer', 'answer']);
    expect(listing.calls()).toBe(3);
  });

  it('fails every caller at once with the error of a load that failed its four tries, so none retries it again', async () => {
    const { context } = run();
    const listing = failing(10);
    for (let i = 0; i < 3; i++) {
      const error = await withRetries(() => context.memo('zone', listing.call), recordedWaits(0).deps).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ attempts: 1, message: 'Rate exceeded' });
    }
    expect(listing.calls()).toBe(4);
  });

  it('observes afresh in the next run', async () => {
    const listing = failing(0);
    await run().context.memo('zone', listing.call);
    await run().context.memo('zone', listing.call);
    expect(listing.calls()).toBe(2);
  });
});
