import type { ChangeSet } from './change-set';
import type { SyncOutcome } from './sync-outcome';

/** Every reason the agent gives a Kubernetes Event on a Sync, declared once. */
export type EventReason =
  | 'Applied'
  | 'Pruned'
  | 'Healed'
  | 'ReconcileFailed'
  | 'PruneRefused'
  | 'RenderFailed'
  | 'Orphaned'
  | 'DeleteFailed';

/** An Event for `kubectl describe sync` and `kubectl events`. */
export interface SyncEvent {
  type: 'Normal' | 'Warning';
  reason: EventReason;
  message: string;
}

/** Objects named in one Event before the rest are counted: an Event message is read in a terminal. */
const namedInEvent = 20;

/**
 * The Events a reconcile outcome leaves on its Sync: what it created or configured (`Applied`), what it deleted
 * (`Pruned`), and a Warning for each way of failing, carrying the Ready condition's message. As exhaustive as
 * `conditionsFor`: an outcome without its Events fails to compile.
 */
export function eventsFor(outcome: SyncOutcome, readyMessage: string): SyncEvent[] {
  const events = 'changeSet' in outcome ? changeEvents(outcome.revision, outcome.changeSet) : [];
  const warning = warningFor(outcome);
  return warning ? [...events, { type: 'Warning', reason: warning, message: readyMessage }] : events;
}

// `null`, not `undefined`, for "no Warning": a return type that admits undefined lets a switch that misses a new
// outcome compile, and this one must fail to compile then, as conditionsFor does.
function warningFor(outcome: SyncOutcome): EventReason | null {
  switch (outcome.kind) {
    case 'applied':
    case 'progressing':
      return null;
    case 'render-failed':
      return 'RenderFailed';
    case 'prune-refused':
      return 'PruneRefused';
    case 'health-failed':
    case 'spec-invalid':
    case 'fetch-failed':
    case 'apply-failed':
    case 'prune-failed':
      return 'ReconcileFailed';
  }
}

function changeEvents(revision: string, changeSet: ChangeSet): SyncEvent[] {
  const events: SyncEvent[] = [];
  const changed = changeSet.changes.filter((c) => c.action === 'created' || c.action === 'configured');
  if (changed.length > 0) {
    const lines = changed.slice(0, namedInEvent).map((c) => `${c.subject} ${c.action}`);
    if (changed.length > namedInEvent) lines.push(`and ${changed.length - namedInEvent} more`);
    events.push({ type: 'Normal', reason: 'Applied', message: `Revision ${revision}: ${lines.join(', ')}` });
  }
  const deleted = changeSet.changes.filter((c) => c.action === 'deleted');
  if (deleted.length > 0) {
    const message = deleted
      .map((c) => c.subject)
      .slice(0, namedInEvent)
      .join(', ');
    events.push({ type: 'Normal', reason: 'Pruned', message });
  }
  return events;
}

/** The Event for a self-heal: which object, and the manager whose change was reverted (or that it was deleted). */
export function healedEvent(subject: string, changedBy: string): SyncEvent {
  const message =
    changedBy === 'deleted'
      ? `${subject} was deleted; re-created from Git`
      : `${subject} was changed by ${changedBy}; re-applied from Git`;
  return { type: 'Warning', reason: 'Healed', message };
}

/**
 * The Event of a Sync's deletion: what its finalizer deleted and kept (`prune: true`), or what it left in place
 * (`prune: false`, a suspended Sync, or a spec that does not parse: nothing is deleted on a guess).
 */
export function deletionEvent(
  deletion:
    | { kind: 'pruned'; changeSet: ChangeSet }
    | { kind: 'orphaned'; why: string; subjects: string[] }
    | { kind: 'failed'; failures: string[] },
): SyncEvent {
  const named = (subjects: string[]) =>
    subjects.slice(0, namedInEvent).join(', ') +
    (subjects.length > namedInEvent ? ` and ${subjects.length - namedInEvent} more` : '');
  switch (deletion.kind) {
    case 'pruned': {
      const deleted = deletion.changeSet.changes.filter((c) => c.action === 'deleted').map((c) => c.subject);
      const kept = deletion.changeSet.changes
        .filter((c) => c.action === 'skipped')
        .map((c) => `${c.subject} (${c.reason ?? 'skipped'})`);
      const parts = [
        `Sync deleted: deleted ${deleted.length} objects it applied${deleted.length ? `: ${named(deleted)}` : ''}`,
      ];
      if (kept.length > 0) parts.push(`kept ${kept.length}: ${named(kept)}`);
      return { type: 'Normal', reason: 'Pruned', message: parts.join('; ') };
    }
    case 'orphaned':
      return {
        type: 'Normal',
        reason: 'Orphaned',
        message: `Sync deleted with ${deletion.why}: left ${deletion.subjects.length} objects in place${deletion.subjects.length ? `: ${named(deletion.subjects)}` : ''}`,
      };
    case 'failed':
      return {
        type: 'Warning',
        reason: 'DeleteFailed',
        message: `Deleting the Sync's objects failed, retrying (the Sync stays until they are gone): ${named(deletion.failures)}`,
      };
  }
}
