import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { healthOf } from '../../core/sync/health';
import { isPlainObject, type KubeObject } from '../../core/sync/kube-object';
import { describeObject, parseObjectKey } from '../../core/sync/object-id';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { age, healthText, revisionText, shortSha, summarise } from '../../core/sync/sync-view';

interface StatusOptions {
  namespace: string;
  output: string;
  kubeconfig?: string;
}

/** One object of the Sync's inventory with its health, and the objects its controllers made for it (ReplicaSets, Pods). */
export interface HealthNode {
  object: string;
  status: string;
  message: string;
  children: HealthNode[];
}

/**
 * `tidemark status NAME [-n NS]`: what `tidemark get` shows for one Sync, plus the health of each object it applied
 * (with the ReplicaSets and Pods under its workloads, as `argocd app resources` shows), its last Events and its
 * inventory size. Exits 0 when the Sync is Ready, 1 when not or when it does not exist.
 */
export function register(program: Command): void {
  program
    .command('status')
    .description('one Sync in detail: readiness, objects and their health, recent events')
    .argument('<name>', 'the Sync')
    .option('-n, --namespace <ns>', 'namespace of the Sync', 'tidemark-system')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--kubeconfig <path>', 'kubeconfig to use')
    .action(async (name: string, options: StatusOptions) => {
      process.exitCode = await status(name, options);
    });
}

async function status(name: string, options: StatusOptions): Promise<number> {
  let cluster: ClusterClient;
  try {
    cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`); // a missing or broken kubeconfig: its message says the fix
    return 1;
  }
  try {
    const sync = await cluster.get({ apiVersion: syncApiVersion, kind: syncKind, namespace: options.namespace, name });
    if (!sync) {
      console.error(`tidemark: Sync ${options.namespace}/${name} does not exist. List them with 'tidemark get -A'`);
      return 1;
    }
    const summary = summarise(sync);
    const [tree, events] = await Promise.all([healthTree(cluster, sync), eventsOf(cluster, sync)]);
    if (options.output === 'json') {
      console.log(JSON.stringify({ ...summary, objects: tree, events }, null, 2));
    } else {
      const now = new Date();
      const lines = [
        `Sync ${summary.namespace}/${summary.name}`,
        `  Source:     ${summary.url} (${summary.branch}) ${summary.path}`,
        `  Revision:   ${revisionText(summary)}${summary.lastSyncTime ? ` (applied ${age(summary.lastSyncTime, now)} ago)` : ''}`,
        ...(summary.attemptedRevision && summary.attemptedRevision !== summary.revision
          ? [`  Attempted:  ${shortSha(summary.attemptedRevision)}`]
          : []),
        `  Ready:      ${summary.ready} ${summary.reason}: ${summary.message}`,
        ...(summary.stalled ? ['  Stalled:    retrying will not help until Git changes'] : []),
        ...(summary.suspended ? ['  Suspended:  spec.suspend is true; nothing is applied'] : []),
        `  Health:     ${healthText(summary)}`,
        `  Inventory:  ${summary.inventory} objects`,
        `  Drift:      ${summary.drift === undefined ? 'not reported by this agent' : `${summary.drift} objects`}`,
        '',
        'Objects',
        ...(tree.length > 0 ? tree.flatMap((n) => treeLines(n, '  ')) : ['  (none applied)']),
        '',
        'Events',
        ...(events.length > 0
          ? events.map((e) => `  ${e.age.padStart(4)}  ${e.type.padEnd(7)}  ${e.reason.padEnd(15)}  ${e.message}`)
          : ['  (none)']),
      ];
      console.log(lines.join('\n'));
    }
    return summary.ready === 'True' ? 0 : 1;
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 1;
  } finally {
    cluster.close();
  }
}

function treeLines(node: HealthNode, indent: string): string[] {
  const line = `${indent}${node.object.padEnd(Math.max(10, 56 - indent.length))} ${node.status}${node.message ? `  ${node.message}` : ''}`;
  return [line, ...node.children.flatMap((c) => treeLines(c, `${indent}  `))];
}

/** Kinds whose controllers make objects worth showing under them, and what they make. */
const childKinds: Record<string, { apiVersion: string; kind: string }[]> = {
  Deployment: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet' }],
  ReplicaSet: [{ apiVersion: 'v1', kind: 'Pod' }],
  StatefulSet: [{ apiVersion: 'v1', kind: 'Pod' }],
  DaemonSet: [{ apiVersion: 'v1', kind: 'Pod' }],
  Job: [{ apiVersion: 'v1', kind: 'Pod' }],
  CronJob: [{ apiVersion: 'batch/v1', kind: 'Job' }],
};

/** The inventory's objects as they are now, each with its health and its controllers' children. */
async function healthTree(cluster: ClusterClient, sync: KubeObject): Promise<HealthNode[]> {
  const status = isPlainObject(sync.status) ? sync.status : {};
  const inventory =
    isPlainObject(status.inventory) && Array.isArray(status.inventory.entries) ? status.inventory.entries : [];
  const listed = new Map<string, Promise<KubeObject[]>>();
  const childrenOf = async (object: KubeObject): Promise<KubeObject[]> => {
    const kinds = childKinds[object.kind] ?? [];
    const namespace = object.metadata.namespace;
    const all = await Promise.all(
      kinds.map((k) => {
        const key = `${namespace}/${k.kind}`;
        if (!listed.has(key))
          listed.set(
            key,
            cluster.list(k.apiVersion, k.kind, { namespace }).catch(() => []),
          );
        return listed.get(key)!;
      }),
    );
    return all.flat().filter((c) => ownerUids(c).includes(String(object.metadata.uid ?? '')));
  };
  const node = async (object: KubeObject, depth: number): Promise<HealthNode> => {
    const health = object.kind === 'Pod' ? podHealth(object) : healthOf(object);
    const kids = depth < 3 ? await childrenOf(object) : [];
    return {
      object: describeObject({
        group: '',
        kind: object.kind,
        namespace: object.metadata.namespace ?? '',
        name: object.metadata.name,
      }),
      status: health.status === 'current' ? 'Current' : health.status === 'failed' ? 'Failed' : 'InProgress',
      message: health.message === 'ready' ? '' : health.message,
      children: await Promise.all(kids.slice(0, 20).map((k) => node(k, depth + 1))),
    };
  };
  const objects = await Promise.all(
    inventory.filter(isPlainObject).map(async (entry) => {
      const id = parseObjectKey(String(entry.id));
      const apiVersion = id.group ? `${id.group}/${entry.v}` : String(entry.v);
      const live = await cluster
        .get({ apiVersion, kind: id.kind, namespace: id.namespace || undefined, name: id.name })
        .catch(() => undefined);
      if (!live) return { object: describeObject(id), status: 'Missing', message: 'not in the cluster', children: [] };
      return node({ ...live, apiVersion, kind: id.kind }, 0);
    }),
  );
  return objects;
}

function ownerUids(object: KubeObject): string[] {
  const owners = object.metadata.ownerReferences;
  return Array.isArray(owners) ? owners.map((o) => String((o as { uid?: string }).uid ?? '')) : [];
}

/** A Pod: Running with all containers ready, Pending, or why a container waits (CrashLoopBackOff, ImagePullBackOff). */
function podHealth(pod: KubeObject): { status: 'current' | 'in-progress' | 'failed'; message: string } {
  const status = isPlainObject(pod.status) ? pod.status : {};
  const phase = String(status.phase ?? 'Pending');
  const containers = Array.isArray(status.containerStatuses) ? status.containerStatuses.filter(isPlainObject) : [];
  const waiting = containers
    .map((c) => (isPlainObject(c.state) && isPlainObject(c.state.waiting) ? String(c.state.waiting.reason ?? '') : ''))
    .find((r) => r !== '');
  if (phase === 'Failed') return { status: 'failed', message: String(status.reason ?? 'Failed') };
  if (waiting && /BackOff|Err/.test(waiting)) return { status: 'failed', message: waiting };
  const ready = containers.filter((c) => c.ready === true).length;
  if (phase === 'Running' && ready === containers.length)
    return { status: 'current', message: `Running ${ready}/${containers.length}` };
  if (phase === 'Succeeded') return { status: 'current', message: 'Succeeded' };
  return { status: 'in-progress', message: waiting ?? `${phase} ${ready}/${containers.length}` };
}

/** The Sync's last ten Events, newest first. */
async function eventsOf(
  cluster: ClusterClient,
  sync: KubeObject,
): Promise<{ age: string; type: string; reason: string; message: string; time: string }[]> {
  const namespace = sync.metadata.namespace ?? 'default';
  const selector = new URLSearchParams({
    fieldSelector: `involvedObject.kind=${syncKind},involvedObject.name=${sync.metadata.name}`,
  });
  const list = await cluster
    .request<{ items: KubeObject[] }>('GET', `/api/v1/namespaces/${namespace}/events?${selector}`)
    .catch(() => ({ items: [] as KubeObject[] }));
  const now = new Date();
  return list.items
    .map((e) => {
      const time = String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '');
      return {
        time,
        age: age(time, now),
        type: String(e.type ?? ''),
        reason: String(e.reason ?? ''),
        message: String(e.message ?? ''),
      };
    })
    .sort((a, b) => b.time.localeCompare(a.time))
    .slice(0, 10);
}
