import { parseImageRef } from '../images/image-ref';
import { type DeploymentEvent, deploymentEvent } from '../notify/deployment-event';
import type { SyncNotifyState } from '../notify/notify-state';

/** An image a Sync runs, as its last `deployed` event named it. */
export interface RunningImage {
  /** `registry/repository`, as image policies name it. */
  repository: string;
  tag?: string;
  digest: string;
}

/** What the promoter knows of one Sync of a stage's cluster, from its deployment events. */
export interface SyncEvidence {
  /** `namespace/name`. */
  sync: string;
  /** The revision last deployed (applied and healthy), and the images with digests it runs. */
  revision?: string;
  images: RunningImage[];
  deployedAt?: string;
  /** Set while healthy: since when, without a degrade or failure in between. A soak counts from here. */
  healthySince?: string;
  /** What last reset the soak: a degrade, a failure, or a deploy of another digest. */
  reset?: { kind: string; at: string; reason: string };
  /** The time of the newest event applied: an older one (a late delivery) changes nothing. */
  lastEventAt: string;
  /** Ids of the last events applied: a repeated delivery changes nothing. */
  recentEventIds: string[];
}

/** A stage cluster's evidence: `promote-evidence#<cluster>` in the State table. */
export interface ClusterEvidence {
  cluster: string;
  syncs: Record<string, SyncEvidence>;
}

const recentIds = 20;

/**
 * Folds one deployment event into a cluster's evidence. Pure, idempotent and order-proof: a repeated event id or an
 * event older than the Sync's newest changes nothing.
 *
 * - `deployed` records the revision and the digests it runs. The soak goes on when the Sync was healthy and runs the
 *   same digests (a commit that changes only configuration must not starve the next stage); it restarts when a digest
 *   changed, so a newer build is proven on its own.
 * - `degraded` and `failed` end the healthy period: the soak starts again at the next `deployed` or `recovered`.
 * - `recovered` starts a new healthy period.
 */
export function observeDeployment(evidence: ClusterEvidence | undefined, event: DeploymentEvent): ClusterEvidence {
  const base: ClusterEvidence = evidence ?? { cluster: event.cluster, syncs: {} };
  const key = `${event.sync.namespace}/${event.sync.name}`;
  const current = base.syncs[key];
  if (current?.recentEventIds.includes(event.id)) return base;
  if (current && Date.parse(event.at) < Date.parse(current.lastEventAt)) return base;
  const seen = {
    lastEventAt: event.at,
    recentEventIds: [event.id, ...(current?.recentEventIds ?? [])].slice(0, recentIds),
  };
  const previous: SyncEvidence = current ?? { sync: key, images: [], ...seen };
  let next: SyncEvidence;
  switch (event.kind) {
    case 'deployed': {
      const images = runningImages(event);
      const sameDigests = sameSet(
        images.map((i) => i.digest),
        previous.images.map((i) => i.digest),
      );
      const keep = previous.healthySince !== undefined && sameDigests;
      next = {
        ...previous,
        ...seen,
        revision: event.revision,
        images,
        deployedAt: keep ? previous.deployedAt : event.at,
        healthySince: keep ? previous.healthySince : event.at,
        ...(!sameDigests && previous.images.length > 0
          ? {
              reset: { kind: 'deployed', at: event.at, reason: `revision ${short(event.revision)} runs other digests` },
            }
          : {}),
      };
      break;
    }
    case 'degraded':
    case 'failed':
      next = {
        ...previous,
        ...seen,
        healthySince: undefined,
        reset: { kind: event.kind, at: event.at, reason: event.reason },
      };
      break;
    case 'recovered':
      next = { ...previous, ...seen, healthySince: previous.healthySince ?? event.at };
      break;
    default:
      next = { ...previous, ...seen };
  }
  return { ...base, syncs: { ...base.syncs, [key]: next } };
}

/** The images of a `deployed` event that carry a digest (only those can be promoted: a tag can move). */
export function runningImages(event: Pick<DeploymentEvent, 'images'>): RunningImage[] {
  return event.images.flatMap((image) => {
    const ref = parseImageRef(image.name);
    if (!ref || !image.digest) return [];
    return [{ repository: ref.name, ...(ref.tag ? { tag: ref.tag } : {}), digest: image.digest }];
  });
}

/** The digest of a repository a stage's cluster runs now, and how long it has been proven there. */
export interface Candidate {
  repository: string;
  digest: string;
  tag?: string;
  /** The revision of the upstream config repo commit that deployed it. */
  revision?: string;
  sync: string;
  deployedAt: string;
  healthySince?: string;
  reset?: SyncEvidence['reset'];
}

/**
 * The candidate of a repository in a cluster: the digest of the Sync that deployed it most recently. When another
 * Sync runs the same digest and is not healthy, the candidate is not healthy either: the build is proven only where
 * everything that runs it is well.
 */
export function candidateOf(evidence: ClusterEvidence | undefined, repository: string): Candidate | undefined {
  const runs = Object.values(evidence?.syncs ?? {}).flatMap((s) =>
    s.images.filter((i) => i.repository.toLowerCase() === repository.toLowerCase()).map((image) => ({ s, image })),
  );
  const newest = runs
    .filter((r) => r.s.deployedAt)
    .sort((a, b) => Date.parse(b.s.deployedAt!) - Date.parse(a.s.deployedAt!))[0];
  if (!newest) return undefined;
  const same = runs.filter((r) => r.image.digest === newest.image.digest);
  const unhealthy = same.find((r) => r.s.healthySince === undefined);
  const healthySince = unhealthy
    ? undefined
    : same.map((r) => r.s.healthySince!).sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  return {
    repository,
    digest: newest.image.digest,
    ...(newest.image.tag ? { tag: newest.image.tag } : {}),
    ...(newest.s.revision ? { revision: newest.s.revision } : {}),
    sync: newest.s.sync,
    deployedAt: newest.s.deployedAt!,
    ...(healthySince ? { healthySince } : {}),
    ...((unhealthy ?? newest).s.reset ? { reset: (unhealthy ?? newest).s.reset } : {}),
  };
}

function sameSet(a: string[], b: string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

function short(revision: string | undefined): string {
  return revision ? revision.slice(0, 7) : '(unknown)';
}

/**
 * The transitions the notifier recorded for a Sync (`deploy-sync#…`, core/notify/notify-state.ts) after `since`, as the
 * deployment events they came from: the catch-up for a `Tidemark Deployment` event the promoter missed. An event
 * rebuilt here has the id the agent gave the original (the id is a hash of the same fields), so the original arriving
 * late is a repeat. A `deployed` whose digests the record no longer holds (an older revision) cannot be rebuilt and is
 * left out.
 */
export function missedEvents(state: SyncNotifyState, since: string | undefined): DeploymentEvent[] {
  const after = since ? Date.parse(since) : Number.NEGATIVE_INFINITY;
  return state.history
    .filter((t) => Date.parse(t.at) > after && ['deployed', 'degraded', 'failed', 'recovered'].includes(t.kind))
    .reverse()
    .flatMap((t) => {
      if (t.kind === 'deployed' && state.deployed?.revision !== t.revision) return [];
      return [
        deploymentEvent({
          at: t.at,
          cluster: state.cluster,
          sync: state.sync,
          repo: state.repo,
          ...(t.revision ? { revision: t.revision } : {}),
          kind: t.kind,
          reason: t.reason,
          message: t.message,
          ...(t.kind === 'deployed' ? { images: state.deployed!.images } : {}),
        }),
      ];
    });
}
