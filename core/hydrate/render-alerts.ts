import { type Alert, renderAlertSubject } from '../alerts/alert';
import { failureWhere, type RenderFailure } from './render-failure';

/** What the hydrator remembers per target between pushes (`render-alert#<target>`), so a failure is announced once. */
export interface RenderAlertState {
  failing: { since: string; fingerprint: string } | null;
}

/** How a target's render ended for one dry commit, as far as alerts care. */
export type RenderResult = { kind: 'failed'; failure: RenderFailure } | { kind: 'rendered' };

/**
 * One alert when a target starts failing or fails differently (another file broken), none while the same failure
 * repeats push after push, and one "recovered" when it renders again.
 *
 * @example
 * decideRenderAlert('web-dev', undefined, { kind: 'failed', failure }, 'abc1234…', now) // → render-failing alert
 */
export function decideRenderAlert(
  target: string,
  previous: RenderAlertState | undefined,
  result: RenderResult,
  revision: string,
  now: Date,
): { alert?: Alert; next: RenderAlertState } {
  const failing = previous?.failing ?? null;
  const cluster = renderAlertSubject(target);
  if (result.kind === 'rendered') {
    if (!failing) return { next: { failing: null } };
    return {
      alert: { kind: 'render-recovered', cluster, target, revision, failingSince: failing.since },
      next: { failing: null },
    };
  }
  const { failure } = result;
  if (failing?.fingerprint === failure.fingerprint) return { next: previous as RenderAlertState };
  const since = failing?.since ?? now.toISOString();
  const where = failureWhere(failure);
  return {
    alert: {
      kind: 'render-failing',
      cluster,
      target,
      revision,
      ...(where ? { where } : {}),
      message: failure.message,
      since,
    },
    next: { failing: { since, fingerprint: failure.fingerprint } },
  };
}
