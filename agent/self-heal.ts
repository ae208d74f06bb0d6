import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterClient, WatchEvent } from '../adapters/kubernetes/cluster-client';
import { changedBy } from '../core/sync/changed-by';
import { dryRunChanges, isInSync } from '../core/sync/in-sync';
import type { KubeObject } from '../core/sync/kube-object';
import { describeObject, objectIdOf, objectKey } from '../core/sync/object-id';
import { fieldManager, managedByLabel, managedByValue, syncLabel } from '../core/sync/ownership';
import { watchForever } from './watch-forever';

/** What self-heal did to one object, for the Sync's Event and the heals metric. */
export interface Heal {
  /** The Sync, as `namespace.name` (the value of the `tidemark.dev/sync` label). */
  sync: string;
  subject: string;
  /** The field manager that changed our fields, or 'deleted' when the object was deleted. */
  changedBy: string;
}

/**
 * Reverts changes to managed objects within seconds instead of at the next interval. One watch per kind, selecting
 * `app.kubernetes.io/managed-by=tidemark`; each event is checked locally against what Git says (`isInSync`, no request
 * for the usual case of a controller writing its own fields or status), then by server-side dry-run, and only a real
 * difference is re-applied, forcing our fields back. Objects of a Sync being reconciled are left to that reconcile.
 *
 * A Sync with self-heal off is watched the same way, only to count what differs from Git (`tidemark get`'s DRIFT):
 * nothing is re-applied until its next reconcile. A heal that fails counts as drift too.
 */
export class SelfHeal {
  private readonly desired = new Map<string, Map<string, KubeObject>>();
  /** Syncs whose drift is reverted (the rest are only observed). */
  private readonly healing = new Set<string>();
  /** Per Sync, the objects seen differing from Git since its last reconcile and not put back. */
  private readonly drifted = new Map<string, Set<string>>();
  private readonly paused = new Set<string>();
  /**
   * Per paused Sync, the last watch event of each of its objects. A hand edit that lands while the Sync reconciles
   * (or between its apply and the end of the reconcile) must not be lost: the watch will not tell us again, and the
   * next interval may be minutes away. They are checked on `resume`, against what the reconcile applied.
   */
  private readonly missed = new Map<string, Map<string, WatchEvent>>();
  private readonly inFlight = new Set<string>();
  /**
   * The newest event of an object that arrived while a check of it was in flight. A Secret's check is a dry-run (its
   * `stringData` is never in the live object, so `isInSync` cannot answer locally): an edit that lands during the
   * dry-run of the watch's ADDED event must be checked after it, or it is never seen again.
   */
  private readonly arrivedMeanwhile = new Map<string, WatchEvent>();
  private readonly watched = new Set<string>();
  /** When each object was last re-applied: a mutating webhook that fights Git must not turn into a hot loop. */
  private readonly lastHeal = new Map<string, number>();
  private readonly abort = new AbortController();

  constructor(
    private readonly cluster: ClusterClient,
    private readonly logger: Logger,
    private readonly onHeal: (heal: Heal) => void,
    /** Watch only these namespaces (the namespaced install, which may not watch cluster-wide). */
    private readonly namespaces?: readonly string[],
    /** Told when the number of a Sync's drifted objects changes. */
    private readonly onDrift: (sync: string, objects: number) => void = () => {},
  ) {}

  /**
   * Sets what a Sync applied (or `undefined` to forget it) and starts watching any new kinds; `heal: false` only counts
   * drift. What drifted before is forgotten: the reconcile that applied these objects put every field back.
   */
  track(sync: string, objects: readonly KubeObject[] | undefined, options: { heal: boolean } = { heal: true }): void {
    this.drifted.delete(sync);
    if (objects === undefined) {
      this.missed.delete(sync);
      this.desired.delete(sync);
      this.healing.delete(sync);
      return;
    }
    if (options.heal) this.healing.add(sync);
    else this.healing.delete(sync);
    this.desired.set(sync, new Map(objects.map((object) => [objectKey(objectIdOf(object)), object])));
    for (const object of objects) this.watchKind(object.apiVersion, object.kind);
  }

  /**
   * Stops reverting a Sync's drift, keeping what it applied so drift is still counted: `spec.suspend` set, or
   * `selfHeal: false` on a reconcile that failed before it applied anything (and so never called {@link track}).
   */
  observeOnly(sync: string): void {
    this.healing.delete(sync);
  }

  /** While a Sync reconciles, its own applies and prunes are not drift. */
  pause(sync: string): void {
    this.paused.add(sync);
  }

  resume(sync: string): void {
    this.paused.delete(sync);
    const missed = this.missed.get(sync);
    this.missed.delete(sync);
    // Most of these are the reconcile's own applies: `isInSync` settles them locally, without a request.
    for (const event of missed?.values() ?? []) void this.onEvent(event);
  }

  stop(): void {
    this.abort.abort();
  }

  private watchKind(apiVersion: string, kind: string): void {
    const key = `${apiVersion}/${kind}`;
    if (this.watched.has(key)) return;
    this.watched.add(key);
    if (this.namespaces === undefined) {
      void this.watchLoop(apiVersion, kind);
      return;
    }
    for (const namespace of this.namespaces) void this.watchLoop(apiVersion, kind, namespace);
  }

  private watchLoop(apiVersion: string, kind: string, namespace?: string): Promise<void> {
    return watchForever(
      this.cluster,
      { apiVersion, kind, namespace, labelSelector: `${managedByLabel}=${managedByValue}` },
      this.abort.signal,
      (event) => void this.onEvent(event),
      (error) => this.logger.warn('self-heal watch failed; retrying', { kind, error: error.message }),
    );
  }

  private async onEvent(event: WatchEvent): Promise<void> {
    const live = event.object;
    const sync = live.metadata.labels?.[syncLabel];
    if (sync === undefined) return;
    const key = objectKey(objectIdOf(live));
    if (this.paused.has(sync)) return this.remember(sync, key, event);
    const desired = this.desired.get(sync)?.get(key);
    if (desired === undefined) return;
    if (this.inFlight.has(key)) {
      this.arrivedMeanwhile.set(key, event);
      return;
    }
    if (event.type !== 'DELETED' && isInSync(desired, live)) return this.markDrift(sync, key, false);
    const heal = this.healing.has(sync);
    if (heal && Date.now() - (this.lastHeal.get(key) ?? 0) < 5000) return; // the next reconcile still converges it
    this.inFlight.add(key);
    try {
      const current = event.type === 'DELETED' ? undefined : live;
      if (current !== undefined) {
        const wouldBe = await this.cluster.apply(desired, { dryRun: true });
        // Counting drift, a field set back by hand to Git's value is not drift, whoever owns it now.
        if (!dryRunChanges(current, wouldBe, fieldManager, { ownership: heal }))
          return this.markDrift(sync, key, false);
      }
      // Re-check: a reconcile may have started while we asked the dry-run; it sees this event again on resume.
      // An event that arrived during the pause is newer than this one and wins.
      if (this.paused.has(sync)) return this.remember(sync, key, event, { unlessNewer: true });
      if (!heal) return this.markDrift(sync, key, true);
      const culprit = current === undefined ? 'deleted' : (changedBy(desired, current) ?? 'unknown');
      await this.cluster.apply(desired);
      this.lastHeal.set(key, Date.now());
      this.markDrift(sync, key, false);
      this.onHeal({ sync, subject: describeObject(objectIdOf(desired)), changedBy: culprit });
    } catch (error) {
      this.markDrift(sync, key, true);
      this.logger.warn('self-heal failed', {
        object: describeObject(objectIdOf(desired)),
        error: (error as Error).message,
      });
    } finally {
      this.inFlight.delete(key);
      const next = this.arrivedMeanwhile.get(key);
      this.arrivedMeanwhile.delete(key);
      if (next) void this.onEvent(next);
    }
  }

  private remember(sync: string, key: string, event: WatchEvent, options = { unlessNewer: false }): void {
    const missed = this.missed.get(sync) ?? new Map<string, WatchEvent>();
    if (!(options.unlessNewer && missed.has(key))) missed.set(key, event);
    this.missed.set(sync, missed);
  }

  private markDrift(sync: string, key: string, drifted: boolean): void {
    const set = this.drifted.get(sync) ?? new Set<string>();
    if (set.has(key) === drifted) return;
    if (drifted) set.add(key);
    else set.delete(key);
    this.drifted.set(sync, set);
    this.onDrift(sync, set.size);
  }
}
