import { type Condition, conditionsFor, type Reason } from '../sync/conditions';
import type { SyncOutcome } from '../sync/sync-outcome';
import type { SyncStatus } from '../sync/sync-status';

/**
 * Where a Sync stands, for telling a transition from a repeat. The agent keeps it per Sync in memory, seeded from the
 * Sync's status when it first sees the Sync ({@link phaseOf}), so an agent restart does not announce everything again;
 * what memory alone would lose (a failure cleared while the agent was down) the notifier still works out.
 */
export type SyncPhase = {
  /** The last revision announced as deployed, when known. */
  deployed?: string;
} & (
  | { kind: 'new' }
  | { kind: 'healthy'; revision?: string }
  | { kind: 'progressing'; revision?: string }
  | { kind: 'failing'; failure: 'failed' | 'degraded'; reason: Reason; revision?: string; since: string }
);

/** A transition the agent announces: the event kind and what the event says. */
export type AgentTransition =
  | { kind: 'deployed'; revision: string; reason: Reason; message: string }
  | { kind: 'failed' | 'degraded'; revision?: string; reason: Reason; message: string }
  | {
      kind: 'recovered';
      revision?: string;
      reason: 'Recovered';
      message: string;
      previous: { kind: 'failed' | 'degraded'; reason: Reason; revision?: string; since: string };
    };

/** The phase a Sync's status describes: its Ready condition and the revisions it names. */
export function phaseOf(status: SyncStatus): SyncPhase {
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return { kind: 'new' };
  if (ready.status === 'True') {
    return { kind: 'healthy', revision: status.lastAppliedRevision, deployed: status.lastAppliedRevision };
  }
  if (ready.reason === 'Progressing') return { kind: 'progressing', revision: status.lastAppliedRevision };
  const degraded = ready.reason === 'HealthCheckFailed';
  return {
    kind: 'failing',
    failure: degraded ? 'degraded' : 'failed',
    reason: ready.reason,
    // As the outcomes report them: a failed fetch or an invalid spec names no revision.
    revision: degraded
      ? status.lastAppliedRevision
      : ready.reason === 'FetchFailed' || ready.reason === 'InvalidSpec'
        ? undefined
        : status.lastAttemptedRevision,
    since: ready.lastTransitionTime ?? '',
  };
}

/**
 * The events a reconcile outcome calls for, and the phase after it. Transitions only: a Sync that stays healthy, or
 * fails again the same way, says nothing; a reconcile still waiting for health (`progressing`) says nothing and keeps
 * the phase it had, so a fix that first progresses still ends in `recovered`, then `deployed` for a revision not yet
 * deployed. The notifier keeps "once per revision" across agent restarts and redeliveries.
 *
 * @example
 * const { transitions, phase } = advance(phaseOf(sync.status ?? {}), outcome, new Date());
 */
export function advance(
  before: SyncPhase,
  outcome: SyncOutcome,
  now: Date,
): { transitions: AgentTransition[]; phase: SyncPhase } {
  const ready = readyOf(conditionsFor(outcome));
  const deployed = before.deployed === undefined ? {} : { deployed: before.deployed };
  switch (outcome.kind) {
    case 'applied': {
      const transitions: AgentTransition[] = [];
      if (before.kind === 'failing') {
        transitions.push({
          kind: 'recovered',
          revision: outcome.revision,
          reason: 'Recovered',
          message: `Healthy again after ${before.reason}`,
          previous: {
            kind: before.failure,
            reason: before.reason,
            ...(before.revision === undefined ? {} : { revision: before.revision }),
            since: before.since,
          },
        });
      }
      if (before.deployed !== outcome.revision) {
        transitions.push({
          kind: 'deployed',
          revision: outcome.revision,
          reason: ready.reason,
          message: ready.message,
        });
      }
      return { transitions, phase: { kind: 'healthy', revision: outcome.revision, deployed: outcome.revision } };
    }
    case 'progressing':
      return {
        transitions: [],
        phase: before.kind === 'failing' ? before : { kind: 'progressing', revision: outcome.revision, ...deployed },
      };
    case 'health-failed':
    case 'spec-invalid':
    case 'fetch-failed':
    case 'render-failed':
    case 'apply-failed':
    case 'prune-refused':
    case 'prune-failed': {
      const failure = outcome.kind === 'health-failed' ? 'degraded' : 'failed';
      const same =
        before.kind === 'failing' &&
        before.failure === failure &&
        before.reason === ready.reason &&
        before.revision === outcome.revision;
      const phase: SyncPhase = {
        kind: 'failing',
        failure,
        reason: ready.reason,
        ...(outcome.revision === undefined ? {} : { revision: outcome.revision }),
        since: before.kind === 'failing' ? before.since : now.toISOString(),
        ...deployed,
      };
      if (same) return { transitions: [], phase: before };
      const transition: AgentTransition = {
        kind: failure,
        ...(outcome.revision === undefined ? {} : { revision: outcome.revision }),
        reason: ready.reason,
        message: ready.message,
      };
      return { transitions: [transition], phase };
    }
  }
}

/**
 * Where in Git a failure message points, when it names a file: a render error says `path (document N): … at line L`
 * (the YAML parser's position), a kustomize error names the kustomization.
 */
export function locationOf(message: string): { file: string; line?: number } | undefined {
  const file = /^([\w./@-]+\.(?:ya?ml|json))\b/.exec(message)?.[1];
  if (!file) return undefined;
  const line = /\bat line (\d+)/.exec(message)?.[1];
  return { file, ...(line ? { line: Number(line) } : {}) };
}

function readyOf(conditions: Condition[]): Condition {
  return conditions.find((c) => c.type === 'Ready')!;
}
