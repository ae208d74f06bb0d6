/**
 * The state of one revision in one cluster, as GitHub shows it: the commit status `tidemark/<cluster>` and the
 * Deployment with environment = the cluster. A cluster may apply a revision through several Syncs; the revision is a
 * success there once every Sync that reported on it succeeded, and a failure while any of them fails. Stored as
 * `deploy-github#<cluster>#<revision>` in the State table.
 */
export interface CommitRecord {
  cluster: string;
  revision: string;
  /** Each reporting Sync (`namespace/name`) → its latest state and what it said (naming the Sync). */
  syncs: Record<string, { state: CommitState; description: string }>;
  /** The state last sent to GitHub, so an unchanged aggregate sends nothing. */
  sent?: CommitState;
  /** The GitHub Deployment created for this revision and cluster. */
  deploymentId?: number;
}

export type CommitState = 'success' | 'failure';

/**
 * Records what one Sync reported on a revision, and says what to tell GitHub: the cluster-wide state and its
 * description, when it differs from what GitHub was last told (`sent`). The caller records the send with
 * {@link markCommitSent} only once GitHub took it, so a failed call is made again on the retry.
 */
export function recordCommitState(
  record: CommitRecord | undefined,
  target: { cluster: string; revision: string; sync: string },
  state: CommitState,
  description: string,
): { record: CommitRecord; send?: { state: CommitState; description: string } } {
  const base: CommitRecord = record ?? { cluster: target.cluster, revision: target.revision, syncs: {} };
  const syncs = { ...base.syncs, [target.sync]: { state, description } };
  const next = { ...base, syncs };
  const failing = Object.entries(syncs).filter(([, s]) => s.state === 'failure');
  const aggregate: CommitState = failing.length > 0 ? 'failure' : 'success';
  if (aggregate === base.sent) return { record: next };
  const names = Object.keys(syncs);
  const text =
    aggregate === 'failure'
      ? `${failing[0]![1].description}${failing.length > 1 ? ` (+${failing.length - 1} more)` : ''}`
      : names.length === 1
        ? description
        : `Deployed by ${names.length} Syncs`;
  return { record: next, send: { state: aggregate, description: cutStatus(text) } };
}

/** The record after GitHub took `state`. */
export function markCommitSent(record: CommitRecord, state: CommitState, deploymentId?: number): CommitRecord {
  return { ...record, sent: state, ...(deploymentId === undefined ? {} : { deploymentId }) };
}

/** GitHub refuses a commit status description longer than 140 characters. */
function cutStatus(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}
