import { isPlainObject, type KubeObject } from './kube-object';
import type { SyncStatus } from './sync-status';

/**
 * A Sync as `tidemark get`, `status` and `wait` show it, from the object alone (spec and status as the agent wrote
 * them). Pure, so the views are tested without a cluster; the commands only read and print.
 */
export interface SyncSummary {
  namespace: string;
  name: string;
  url: string;
  branch: string;
  path: string;
  suspended: boolean;
  /** The applied revision, and its commit subject when the agent recorded it. */
  revision?: string;
  subject?: string;
  /** The revision the last reconcile tried (differs from `revision` while a newer commit fails). */
  attemptedRevision?: string;
  ready: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** Stalled: retrying will not help until Git changes (a render failure, a refused prune, an invalid spec). */
  stalled: boolean;
  lastSyncTime?: string;
  health?: { current: number; inProgress: number; failed: number; notReady: string[] };
  inventory: number;
  /** Objects the agent saw differ from Git and has not put back yet; unknown from an agent that does not report it. */
  drift?: number;
  /** The agent has not yet seen the current spec (`metadata.generation` newer than `status.observedGeneration`). */
  stale: boolean;
}

export function summarise(sync: KubeObject): SyncSummary {
  const spec = isPlainObject(sync.spec) ? sync.spec : {};
  const status = (isPlainObject(sync.status) ? sync.status : {}) as SyncStatus;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  const stalled = status.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True') ?? false;
  const suspended = spec.suspend === true;
  const generation = sync.metadata.generation;
  return {
    namespace: sync.metadata.namespace ?? 'default',
    name: sync.metadata.name,
    url: String(spec.url ?? ''),
    branch: String(spec.branch ?? 'main'),
    path: String(spec.path ?? '.'),
    suspended,
    ...(status.lastAppliedRevision ? { revision: status.lastAppliedRevision } : {}),
    ...(status.lastAppliedSubject ? { subject: status.lastAppliedSubject } : {}),
    ...(status.lastAttemptedRevision ? { attemptedRevision: status.lastAttemptedRevision } : {}),
    ready: ready?.status ?? 'Unknown',
    reason: ready?.reason ?? (suspended ? 'Suspended' : 'NotReconciled'),
    message: ready?.message ?? (suspended ? 'spec.suspend is true' : 'The agent has not reconciled this Sync yet'),
    stalled,
    ...(status.lastSyncTime ? { lastSyncTime: status.lastSyncTime } : {}),
    ...(status.health ? { health: status.health } : {}),
    inventory: status.inventory?.entries.length ?? 0,
    ...(typeof status.driftedObjects === 'number' ? { drift: status.driftedObjects } : {}),
    stale: generation !== undefined && (status.observedGeneration ?? 0) < generation,
  };
}

/** The columns of `tidemark get`, like `flux get kustomizations`: one row per Sync. */
export function renderTable(rows: readonly SyncSummary[], options: { allNamespaces: boolean; now: Date }): string {
  return columns([headerOf(options), ...rows.map((r) => row(r, options))]);
}

export function headerOf(options: { allNamespaces: boolean }): string[] {
  return [
    ...(options.allNamespaces ? ['NAMESPACE'] : []),
    'NAME',
    'REVISION',
    'SUSPENDED',
    'READY',
    'REASON',
    'LAST SYNC',
    'HEALTH',
    'DRIFT',
  ];
}

/** One row of the table, for `--watch`, which prints a row per change. */
export function row(r: SyncSummary, options: { allNamespaces: boolean; now: Date }): string[] {
  return [
    ...(options.allNamespaces ? [r.namespace] : []),
    r.name,
    revisionText(r),
    r.suspended ? 'True' : 'False',
    r.ready,
    r.reason,
    r.lastSyncTime ? age(r.lastSyncTime, options.now) : '-',
    healthText(r),
    r.drift === undefined ? '-' : String(r.drift),
  ];
}

/** Pads each column to its widest cell, three spaces apart, as kubectl prints. */
export function columns(table: readonly (readonly string[])[]): string {
  const widths = widthsOf(table);
  return table.map((cells) => padded(cells, widths)).join('\n');
}

export function widthsOf(table: readonly (readonly string[])[]): number[] {
  return table[0]!.map((_, i) => Math.max(...table.map((cells) => (cells[i] ?? '').length)));
}

/** One row padded to `widths` (a later, wider cell pushes its own row only). */
export function padded(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
    .join('   ')
    .trimEnd();
}

/** `3c3c3c3 Fix the indentation`, cut to 50 characters. */
export function revisionText(r: Pick<SyncSummary, 'revision' | 'subject'>): string {
  if (!r.revision) return '-';
  const text = `${shortSha(r.revision)}${r.subject ? ` ${r.subject}` : ''}`;
  return text.length > 50 ? `${text.slice(0, 49)}…` : text;
}

/** `3/3`, or `2/3 (1 failed)`. */
export function healthText(r: Pick<SyncSummary, 'health'>): string {
  if (!r.health) return '-';
  const { current, inProgress, failed } = r.health;
  const total = current + inProgress + failed;
  return failed > 0 ? `${current}/${total} (${failed} failed)` : `${current}/${total}`;
}

export function shortSha(revision: string): string {
  const sha = revision.split(/[@:]/).pop() ?? revision;
  return /^[0-9a-f]{40,64}$/.test(sha) ? sha.slice(0, 7) : revision;
}

/** `45s`, `12m`, `3h`, `2d`, as kubectl shows ages. */
export function age(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** What `tidemark wait` waits for. */
export type WaitTarget = { kind: 'ready' } | { kind: 'revision'; revision: string };

/** Whether a Sync meets the target yet: met, not yet, or never without a new commit (with the reason). */
export type WaitVerdict = { kind: 'met' } | { kind: 'pending'; reason: string } | { kind: 'failed'; reason: string };

/**
 * `--for ready`: Ready at the current spec. `--for revision=SHA` (a prefix of 7 or more): that revision applied and
 * every object healthy; a Sync stalled on that revision (it does not render, a prune was refused) fails at once,
 * since waiting cannot help until Git changes. Anything else is pending, with what it is doing now.
 */
export function waitVerdict(sync: KubeObject | undefined, target: WaitTarget): WaitVerdict {
  if (!sync) return { kind: 'pending', reason: 'the Sync does not exist' };
  const s = summarise(sync);
  const now = `Ready ${s.ready}, ${s.reason}: ${s.message}`;
  if (s.suspended) return { kind: 'pending', reason: `it is suspended (spec.suspend); ${now}` };
  if (s.stale) return { kind: 'pending', reason: 'the agent has not yet reconciled its current spec' };
  if (target.kind === 'ready') {
    return s.ready === 'True' ? { kind: 'met' } : { kind: 'pending', reason: now };
  }
  const at = (revision: string | undefined) => revision !== undefined && matches(revision, target.revision);
  if (at(s.revision) && s.ready === 'True') return { kind: 'met' };
  if (at(s.attemptedRevision) && s.stalled) {
    return {
      kind: 'failed',
      reason: `revision ${shortSha(target.revision)} cannot be applied: ${s.reason}: ${s.message}`,
    };
  }
  const where = s.revision ? `it is at ${revisionText(s)}` : 'nothing is applied yet';
  return { kind: 'pending', reason: `${where}; ${now}` };
}

function matches(revision: string, wanted: string): boolean {
  const sha = revision.split(/[@:]/).pop() ?? revision;
  return sha.startsWith(wanted.toLowerCase());
}
