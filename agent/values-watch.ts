import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { watchForever } from './watch-forever';

/**
 * A ConfigMap or Secret a release takes values from, and the resourceVersion its last render read: '' when it was
 * absent (an optional reference, or the missing object a render failed on), undefined when this reconcile did not read
 * it (the render failed before or after): the version seen last is kept then.
 */
export interface ValuesObject {
  kind: 'ConfigMap' | 'Secret';
  namespace: string;
  name: string;
  resourceVersion?: string;
}

interface Watched {
  kind: ValuesObject['kind'];
  namespace: string;
  name: string;
  /** The version the Syncs' last renders read, or the watch saw last (a change already handed on). */
  resourceVersion: string;
  /** The Syncs whose releases read it. */
  syncs: Set<string>;
  abort: AbortController;
}

/**
 * Reconciles a Sync as soon as a ConfigMap or Secret its release takes values from (`spec.helm.valuesFrom`) changes,
 * appears or is deleted, instead of at the next interval (Flux's helm-controller watches them too, when labelled).
 * One watch per object, by name (`fieldSelector=metadata.name=…`), in the namespace its Sync reads values from and no
 * other, shared by the Syncs that read it. Nothing of a Secret but its name and resourceVersion is kept or logged.
 *
 * A change is a resourceVersion different from the one the last render read, so the watch's opening ADDED event of an
 * object that changed between that render and the watch's start triggers a reconcile, and one that did not, nothing.
 */
export class ValuesWatch {
  private readonly watched = new Map<string, Watched>();
  private stopped = false;

  constructor(
    private readonly cluster: Pick<ClusterClient, 'watch'>,
    private readonly logger: Pick<Logger, 'info' | 'warn'>,
    private readonly onChange: (sync: string) => void,
  ) {}

  /** The values objects `sync`'s last reconcile read (an empty list: none; stops watches no other Sync needs). */
  track(sync: string, objects: readonly ValuesObject[]): void {
    if (this.stopped) return;
    const wanted = new Map(objects.map((o) => [keyOf(o), o]));
    for (const [key, entry] of this.watched) {
      if (wanted.has(key) || !entry.syncs.delete(sync) || entry.syncs.size > 0) continue;
      entry.abort.abort();
      this.watched.delete(key);
    }
    for (const [key, object] of wanted) {
      const entry = this.watched.get(key);
      if (entry) {
        entry.syncs.add(sync);
        // The newest render's view is the one to compare with: it read this version.
        if (object.resourceVersion !== undefined) entry.resourceVersion = object.resourceVersion;
        continue;
      }
      const created: Watched = {
        kind: object.kind,
        namespace: object.namespace,
        name: object.name,
        resourceVersion: object.resourceVersion ?? '',
        syncs: new Set([sync]),
        abort: new AbortController(),
      };
      this.watched.set(key, created);
      void this.watch(created);
    }
  }

  /** Objects watched now, as `Kind/namespace/name` (for tests and the debug log). */
  get objects(): string[] {
    return [...this.watched.keys()].sort();
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.watched.values()) entry.abort.abort();
    this.watched.clear();
  }

  private watch(entry: Watched): Promise<void> {
    const object = `${entry.kind}/${entry.namespace}/${entry.name}`;
    return watchForever(
      this.cluster,
      { apiVersion: 'v1', kind: entry.kind, namespace: entry.namespace, fieldSelector: `metadata.name=${entry.name}` },
      entry.abort.signal,
      (event) => {
        const seen = event.type === 'DELETED' ? '' : (event.object.metadata.resourceVersion ?? '');
        if (seen === entry.resourceVersion) return;
        entry.resourceVersion = seen;
        this.logger.info('values changed; reconciling', { object, syncs: [...entry.syncs] });
        for (const sync of entry.syncs) this.onChange(sync);
      },
      (error) => this.logger.warn('watching values failed; retrying', { object, error: error.message }),
    );
  }
}

function keyOf(o: Pick<ValuesObject, 'kind' | 'namespace' | 'name'>): string {
  return `${o.kind}/${o.namespace}/${o.name}`;
}
