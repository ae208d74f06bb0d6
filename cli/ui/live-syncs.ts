import { EventEmitter } from 'node:events';
import { CustomObjectsApi, type KubeConfig, type KubernetesObject, makeInformer } from '@kubernetes/client-node';
import type { KubeObject } from '../../core/sync/kube-object';
import { syncApiVersion } from '../../core/sync/sync';

export type SyncChange = { type: 'add' | 'update' | 'delete'; sync: KubeObject };

/**
 * Every Sync the user may list, kept current by a watch: @kubernetes/client-node's informer (LIST, then WATCH from its
 * resourceVersion, a new LIST when the watch expires), so pages render from memory and the live updates the browser
 * gets are the watch's own events. One informer for the whole server, whatever the number of open tabs.
 */
export class LiveSyncs extends EventEmitter<{ change: [SyncChange]; error: [Error] }> {
  private readonly informer;
  private stopped = false;

  constructor(kubeconfig: KubeConfig, namespace?: string) {
    super();
    const [group, version] = syncApiVersion.split('/') as [string, string];
    const api = kubeconfig.makeApiClient(CustomObjectsApi);
    const path = namespace
      ? `/apis/${group}/${version}/namespaces/${namespace}/syncs`
      : `/apis/${group}/${version}/syncs`;
    this.informer = makeInformer<KubernetesObject>(kubeconfig, path, async () =>
      namespace
        ? await api.listNamespacedCustomObject({ group, version, namespace, plural: 'syncs' })
        : await api.listClusterCustomObject({ group, version, plural: 'syncs' }),
    );
    for (const type of ['add', 'update', 'delete'] as const) {
      this.informer.on(type, (object) => this.emit('change', { type, sync: object as unknown as KubeObject }));
    }
    // The informer stops on an error (the API server restarted, a token expired): start it again after a pause, as
    // client-node's README does; the relist brings the cache back to the truth.
    this.informer.on('error', (error: unknown) => {
      if (this.stopped) return;
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
      setTimeout(() => {
        if (!this.stopped) void this.informer.start().catch(() => {});
      }, 2_000).unref();
    });
  }

  /** Resolves once the first LIST is in. */
  start(): Promise<void> {
    return this.informer.start();
  }

  list(): KubeObject[] {
    return this.informer.list() as unknown as KubeObject[];
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.informer.get(name, namespace) as unknown as KubeObject | undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }
}
