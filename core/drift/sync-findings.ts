import type { Sync } from '../sync/sync';
import { isRecord } from './deep-equal';
import type { DriftFinding } from './drift-report';

/** The branch head the Syncs should have reached, and since when it has been the head. */
export interface BranchHead {
  revision: string;
  /** When the head commit was made; lag is measured from here. */
  committedAt: Date;
}

/**
 * Findings about the agents themselves, from their `Sync` objects (group `tidemark.dev`): a Sync that says `Stalled`,
 * and one whose `lastAppliedRevision` has not reached the branch head `lagMinutesThreshold` minutes after the head
 * was committed. A lag shorter than the threshold is an apply in progress, not drift.
 */
export function syncFindings(
  syncs: readonly Sync[],
  head: BranchHead | undefined,
  now: Date,
  lagMinutesThreshold: number,
): DriftFinding[] {
  const out: DriftFinding[] = [];
  for (const sync of syncs) {
    const ref = sync.ref;
    const status = sync.status as Record<string, unknown>;
    if (sync.declared.suspend) continue;
    const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
    const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
    if (stalled) {
      out.push({
        kind: 'sync-stalled',
        sync: ref,
        reason: String(stalled.reason ?? 'Stalled'),
        message: String(stalled.message ?? ''),
      });
    }
    if (!head) continue;
    const applied = typeof status.lastAppliedRevision === 'string' ? status.lastAppliedRevision : null;
    if (applied !== null && revisionMatches(applied, head.revision)) continue;
    const lag = (now.getTime() - head.committedAt.getTime()) / 60_000;
    if (lag >= lagMinutesThreshold) {
      out.push({
        kind: 'sync-lagging',
        sync: ref,
        lastAppliedRevision: applied,
        headRevision: head.revision,
        lagMinutes: Math.floor(lag),
      });
    }
  }
  return out;
}

/** Revisions are written as a bare sha or as `branch@sha1:<sha>` (Flux's form); compare the sha. */
function revisionMatches(applied: string, head: string): boolean {
  const sha = (r: string) => r.split(/[@:]/).pop() ?? r;
  const a = sha(applied);
  const b = sha(head);
  return a === b || (a.length >= 7 && b.startsWith(a)) || (b.length >= 7 && a.startsWith(b));
}
