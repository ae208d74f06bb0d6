import type { AlertChannel } from '../../adapters/alerts/alert-channels';
import type { Checkout } from '../../adapters/git/checkout-cache';
import type { Alert } from '../../core/alerts/alert';
import type { HydratePush } from '../../core/hydrate/hydrate-request';
import { decideRenderAlert, type RenderAlertState } from '../../core/hydrate/render-alerts';
import { renderFailureOf } from '../../core/hydrate/render-failure';
import { RENDER_FILE } from '../../core/hydrate/render-targets';
import { type HydrateDeps, hydrate, type TargetOutcome } from '../../engine/hydrate/hydrate';
import { loadRenderTargets } from '../../engine/hydrate/load-render-targets';

export interface HydratePushDeps extends Omit<HydrateDeps, 'place'> {
  /** The tip of the dry branch, checked out. */
  checkout(branch: string): Promise<Pick<Checkout, 'dir' | 'revision' | 'describe'>>;
  /** Each target's render alert state (`render-alert#<target>` in the State table). */
  alertState: {
    load(target: string): Promise<RenderAlertState | undefined>;
    save(target: string, state: RenderAlertState): Promise<void>;
  };
  channels: readonly AlertChannel[];
}

export type HydratePushResult =
  | { kind: 'ignored'; reason: string }
  /** `.tidemark/render.yaml` cannot be used: nothing rendered, nothing committed. */
  | { kind: 'invalid-render-file'; revision: string; message: string; alerts: string[]; deliveryErrors: string[] }
  | { kind: 'hydrated'; revision: string; outcomes: TargetOutcome[]; alerts: string[]; deliveryErrors: string[] };

/**
 * One push to the dry branch: check out its tip (a burst of pushes renders the newest once; the older ones find their
 * inputs unchanged), render and commit each target ({@link hydrate}), then alert once per render failure and once
 * when it recovers, through the deployment's alert channels. A failed target commits nothing, so its last good
 * rendered commit stays in place. Throws only when the work must be retried (a destination that kept moving, AWS or
 * git failing), and SQS redelivers the message.
 */
export async function hydratePush(request: HydratePush, deps: HydratePushDeps): Promise<HydratePushResult> {
  if (request.branch !== deps.dryBranch) {
    return { kind: 'ignored', reason: `push to ${request.branch}; only ${deps.dryBranch} holds dry sources` };
  }
  const checkout = await deps.checkout(deps.dryBranch);
  const now = deps.now?.() ?? new Date();
  let targets: Awaited<ReturnType<typeof loadRenderTargets>>;
  try {
    targets = await loadRenderTargets(checkout.dir);
  } catch (error) {
    const failure = renderFailureOf(error);
    const { alerts, deliveryErrors } = await announce(
      RENDER_FILE,
      { kind: 'failed', failure },
      checkout.revision,
      now,
      deps,
    );
    return {
      kind: 'invalid-render-file',
      revision: checkout.revision,
      message: failure.message,
      alerts,
      deliveryErrors,
    };
  }
  const outcomes = await hydrate({ dir: checkout.dir, dry: await checkout.describe() }, targets, {
    ...deps,
    place: 'lambda',
  });
  const alerts: string[] = [];
  const deliveryErrors: string[] = [];
  const results: [string, Parameters<typeof decideRenderAlert>[2]][] = [[RENDER_FILE, { kind: 'rendered' }]];
  for (const o of outcomes) {
    if (o.kind === 'failed') results.push([o.target, { kind: 'failed', failure: o.failure }]);
    else if (o.kind === 'committed' || o.kind === 'unchanged') results.push([o.target, { kind: 'rendered' }]);
  }
  for (const [target, result] of results) {
    const sent = await announce(target, result, checkout.revision, now, deps);
    alerts.push(...sent.alerts);
    deliveryErrors.push(...sent.deliveryErrors);
  }
  return { kind: 'hydrated', revision: checkout.revision, outcomes, alerts, deliveryErrors };
}

/** Decides the target's alert, delivers it on every channel, and remembers the state once one channel took it. */
async function announce(
  target: string,
  result: Parameters<typeof decideRenderAlert>[2],
  revision: string,
  now: Date,
  deps: HydratePushDeps,
): Promise<{ alerts: string[]; deliveryErrors: string[] }> {
  const previous = await deps.alertState.load(target);
  const { alert, next } = decideRenderAlert(target, previous, result, revision, now);
  if (!alert) {
    if (previous === undefined && result.kind === 'rendered') return { alerts: [], deliveryErrors: [] };
    if (JSON.stringify(previous) !== JSON.stringify(next)) await deps.alertState.save(target, next);
    return { alerts: [], deliveryErrors: [] };
  }
  const deliveryErrors = await deliver(alert, deps.channels);
  // Every channel failing: the state stays, so the next push announces it again instead of never.
  if (deps.channels.length === 0 || deliveryErrors.length < deps.channels.length)
    await deps.alertState.save(target, next);
  return { alerts: [`${alert.kind} ${target}`], deliveryErrors };
}

async function deliver(alert: Alert, channels: readonly AlertChannel[]): Promise<string[]> {
  const errors: string[] = [];
  await Promise.all(
    channels.map((c) => c.deliver(alert).catch((e: unknown) => void errors.push(`${c.name}: ${(e as Error).message}`))),
  );
  return errors;
}
