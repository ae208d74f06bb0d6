import type { SyncOutcome } from '../sync/sync-outcome';
import type { AppliedImage } from './applied-images';
import { type DeploymentEvent, deploymentEvent } from './deployment-event';
import { type AgentTransition, locationOf } from './sync-transitions';

/** What the agent knows about one finished reconcile, beyond its outcome. */
export interface ReconcileContext {
  cluster: string;
  sync: { namespace: string; name: string };
  repo: string;
  /** The Sync's folder in the repository: render errors name files relative to it, events relative to the repo root. */
  path?: string;
  /** The commit subject of the outcome's revision, when the checkout could tell it. */
  subject?: string;
  /** The images the applied objects run (core/notify/applied-images.ts). */
  images: AppliedImage[];
  /**
   * What applying the revision changed, counted over every reconcile of it: a rollout is applied by one reconcile and
   * found healthy by a later one, which changes nothing itself. Default: the outcome's own change set.
   */
  changes?: { created: number; configured: number; deleted: number };
  at: Date;
}

/**
 * The deployment events for the transitions a reconcile made (sync-transitions.ts `advance`), with what each carries:
 * the revision and its subject, the images, the health summary, the changes of a deploy, the file and line of a
 * render failure, and for a recovery what it recovered from. Events of one reconcile are a millisecond apart, so they
 * sort, and are read, in the order they happened.
 */
export function reconcileEvents(
  outcome: SyncOutcome,
  transitions: readonly AgentTransition[],
  context: ReconcileContext,
): DeploymentEvent[] {
  const health = 'health' in outcome ? outcome.health : undefined;
  const changes =
    context.changes ??
    ('changeSet' in outcome
      ? {
          created: outcome.changeSet.count('created'),
          configured: outcome.changeSet.count('configured'),
          deleted: outcome.changeSet.count('deleted'),
        }
      : undefined);
  return transitions.map((t, i) => {
    const found = t.kind === 'failed' ? locationOf(t.message) : undefined;
    const folder = (context.path ?? '.').replace(/^\.\/?|\/+$/g, '');
    const location = found && folder ? { ...found, file: `${folder}/${found.file}` } : found;
    return deploymentEvent({
      at: new Date(context.at.getTime() + i).toISOString(),
      cluster: context.cluster,
      sync: context.sync,
      repo: context.repo,
      ...(t.revision === undefined ? {} : { revision: t.revision }),
      subject: context.subject ?? '',
      kind: t.kind,
      reason: t.reason,
      message: t.message,
      images: context.images,
      ...(health ? { health: { ...health, notReady: health.notReady.slice(0, 10) } } : {}),
      ...(t.kind === 'deployed' && changes ? { changes } : {}),
      ...(location ? { location } : {}),
      ...(t.kind === 'recovered' ? { previous: t.previous } : {}),
    });
  });
}
