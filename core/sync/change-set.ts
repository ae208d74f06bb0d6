import { describeObject, type ObjectId } from './object-id';

/**
 * What one reconcile did to each object, as `kubectl apply` reports it: `created`, `configured`, `unchanged`, `deleted`,
 * plus `skipped` for a stale object prune left alone (with the reason).
 */
export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'skipped';

export interface Change {
  id: ObjectId;
  /** `Kind/namespace/name`. */
  subject: string;
  action: ChangeAction;
  /** For `skipped`: why, e.g. "no longer carries this Sync's labels". */
  reason?: string;
}

export class ChangeSet {
  readonly changes: Change[] = [];

  add(id: ObjectId, action: ChangeAction, reason?: string): void {
    this.changes.push({ id, subject: describeObject(id), action, ...(reason === undefined ? {} : { reason }) });
  }

  /** The action taken on an object, by its `Kind/namespace/name`; undefined when the reconcile did not touch it. */
  actionFor(subject: string): ChangeAction | undefined {
    return this.changes.find((change) => change.subject === subject)?.action;
  }

  count(action: ChangeAction): number {
    return this.changes.filter((change) => change.action === action).length;
  }

  /** One line per object that changed, and a count of the unchanged ones, as `kubectl apply` prints. */
  summary(): string {
    const lines = this.changes
      .filter((change) => change.action !== 'unchanged')
      .map((change) => `${change.subject} ${change.action}${change.reason ? ` (${change.reason})` : ''}`);
    return [...lines, `${this.count('unchanged')} unchanged`].join('\n');
  }
}
