import type { Transition } from '../notify/notify-state';
import { appliedOutcomeKinds } from '../sync/sync-outcome';
import type { SyncAttempt } from '../sync/sync-status';
import { type LatencyPair, Timeline } from './timeline';

/** The chain one revision goes through on its way to a cluster, in order. */
export const revisionSteps = [
  'image-pushed',
  'commit-made',
  'webhook-received',
  'applied',
  'healthy',
  'notified',
] as const;
export type RevisionStep = (typeof revisionSteps)[number];

export const revisionLatencies: readonly LatencyPair[] = [
  { name: 'push → commit', from: 'image-pushed', to: 'commit-made' },
  { name: 'commit → applied', from: 'commit-made', to: 'applied' },
  { name: 'push → applied', from: 'image-pushed', to: 'applied' },
  { name: 'applied → healthy', from: 'applied', to: 'healthy' },
  { name: 'healthy → notified', from: 'healthy', to: 'notified' },
  { name: 'push → healthy', from: 'image-pushed', to: 'healthy' },
];

/** What is known about one revision in one Sync, from wherever it is recorded. */
export interface RevisionFacts {
  revision: string;
  /** Images of the revision with their push time to ECR, when the registry told. */
  pushes: { image: string; at: Date }[];
  committedAt?: Date;
  webhookAt?: Date;
  /** The Sync's status: its last reconcile attempts (revision, outcome, time). */
  attempts: readonly SyncAttempt[];
  /** The notifier's transitions of this Sync, newest first (its State item). */
  transitions: readonly Transition[];
  /** When the notifier last wrote the Sync's item: the time of its newest transition's message. */
  notifierUpdatedAt?: Date;
}

export interface RevisionTimeline {
  timeline: Timeline;
  /** Steps of the chain with no time, and why. */
  unknown: { step: RevisionStep; why: string }[];
  /** Failures and recoveries of this revision on the way (from the notifier's transitions), oldest first. */
  detours: Transition[];
}

const sameRevision = (a: string | undefined, b: string) => a !== undefined && (a === b || a.endsWith(`:${b}`));

/**
 * The timeline of one revision: ECR push → commit → webhook → applied → healthy → notified, with the latencies between
 * the steps that have a time. "Applied" is the first reconcile that applied it (the Sync's attempts); "healthy" is the
 * agent's `deployed` event (applied and every object healthy); "notified" is when the notifier recorded that event,
 * if it was the last thing it recorded for the Sync (its item keeps one update time).
 */
export function revisionTimeline(facts: RevisionFacts): RevisionTimeline {
  const timeline = new Timeline(revisionLatencies);
  const unknown: RevisionTimeline['unknown'] = [];
  const steps: { step: RevisionStep; at: Date; detail: string }[] = [];
  const earliestPush = [...facts.pushes].sort((a, b) => a.at.getTime() - b.at.getTime())[0];
  if (earliestPush) steps.push({ step: 'image-pushed', at: earliestPush.at, detail: earliestPush.image });
  else unknown.push({ step: 'image-pushed', why: 'no ECR image of this revision has a push time the registry told' });
  if (facts.committedAt) steps.push({ step: 'commit-made', at: facts.committedAt, detail: facts.revision });
  else unknown.push({ step: 'commit-made', why: 'the commit time is not recorded in the cluster or the State table' });
  if (facts.webhookAt) steps.push({ step: 'webhook-received', at: facts.webhookAt, detail: 'sync request' });
  else unknown.push({ step: 'webhook-received', why: 'the time of the sync request is not recorded' });

  const applied = facts.attempts
    .filter((a) => sameRevision(a.revision, facts.revision) && appliedOutcomeKinds.includes(a.outcome))
    .sort((a, b) => a.time.localeCompare(b.time))[0];
  if (applied) steps.push({ step: 'applied', at: new Date(applied.time), detail: applied.message });
  else unknown.push({ step: 'applied', why: 'no reconcile in the Sync’s recent attempts applied it' });

  const ofRevision = facts.transitions.filter((t) => sameRevision(t.revision, facts.revision));
  const deployed = ofRevision.filter((t) => t.kind === 'deployed').sort((a, b) => a.at.localeCompare(b.at))[0];
  if (deployed) steps.push({ step: 'healthy', at: new Date(deployed.at), detail: deployed.message });
  else unknown.push({ step: 'healthy', why: 'no "deployed" event of this revision reached the notifier' });

  const newest = facts.transitions[0];
  if (deployed && !deployed.announced) {
    unknown.push({ step: 'notified', why: 'the notifier recorded it without a message (it changed nothing)' });
  } else if (deployed && newest === deployed && facts.notifierUpdatedAt) {
    steps.push({ step: 'notified', at: facts.notifierUpdatedAt, detail: 'deployed message sent' });
  } else if (deployed) {
    unknown.push({ step: 'notified', why: 'announced; its time was overwritten by a later transition of the Sync' });
  } else {
    unknown.push({ step: 'notified', why: 'nothing was announced for this revision' });
  }

  for (const s of steps.sort((a, b) => a.at.getTime() - b.at.getTime())) timeline.record(s.step, s.detail, s.at);
  const detours = ofRevision.filter((t) => t.kind !== 'deployed').sort((a, b) => a.at.localeCompare(b.at));
  return { timeline, unknown, detours };
}
