import type { Command } from 'commander';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import type { KubeObject } from '../../core/sync/kube-object';
import { syncApiVersion, syncKind } from '../../core/sync/sync';
import { headerOf, padded, row, type SyncSummary, summarise, widthsOf } from '../../core/sync/sync-view';

interface GetOptions {
  namespace: string;
  allNamespaces?: boolean;
  watch?: boolean;
  output: string;
  kubeconfig?: string;
}

/**
 * `tidemark get [-n NS | -A] [--watch] [-o json]`: every Sync with its revision (short sha and commit subject), Ready,
 * reason, last sync, health and drift, read from the cluster with the user's kubeconfig (DESIGN.md, the CLI table).
 * `-o json` prints the summaries (`cli/commands/sync-view.ts`, `SyncSummary`); with `--watch`, one JSON line per change.
 */
export function register(program: Command): void {
  program
    .command('get')
    .description('list Syncs: revision, readiness, health and drift')
    .option('-n, --namespace <ns>', 'namespace of the Syncs', 'tidemark-system')
    .option('-A, --all-namespaces', 'Syncs of every namespace')
    .option('-w, --watch', 'keep printing a row when a Sync changes')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--kubeconfig <path>', 'kubeconfig to use')
    .action(async (options: GetOptions) => {
      process.exitCode = await get(options);
    });
}

async function get(options: GetOptions): Promise<number> {
  if (!['text', 'json'].includes(options.output)) {
    console.error(`tidemark: --output '${options.output}' is not a format. Use text or json`);
    return 2;
  }
  let cluster: ClusterClient;
  try {
    cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`); // a missing or broken kubeconfig: its message says the fix
    return 1;
  }
  const namespace = options.allNamespaces ? undefined : options.namespace;
  const all = options.allNamespaces === true;
  try {
    const syncs = await cluster.list(syncApiVersion, syncKind, { namespace });
    const rows = syncs.map(summarise).sort(byName);
    if (options.output === 'json' && !options.watch) console.log(JSON.stringify(rows, null, 2));
    else if (options.output === 'json') for (const r of rows) console.log(JSON.stringify(r));
    else if (rows.length === 0) console.error(`tidemark: no Syncs${namespace ? ` in namespace ${namespace}` : ''}`);
    const table = [
      headerOf({ allNamespaces: all }),
      ...rows.map((r) => row(r, { allNamespaces: all, now: new Date() })),
    ];
    const widths = widthsOf(table);
    if (options.output === 'text' && rows.length > 0) for (const cells of table) console.log(padded(cells, widths));
    if (!options.watch) return 0;
    await watch(cluster, namespace, options, rows, widths);
    return 0;
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 1;
  } finally {
    cluster.close();
  }
}

/** Like `kubectl get -w`: the header once, then a row for each Sync whose row changed, until interrupted. */
async function watch(
  cluster: ClusterClient,
  namespace: string | undefined,
  options: GetOptions,
  initial: SyncSummary[],
  widths: number[],
) {
  const all = options.allNamespaces === true;
  const shown = new Map(initial.map((r) => [`${r.namespace}/${r.name}`, JSON.stringify(r)]));
  let headerPrinted = initial.length > 0;
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  let resourceVersion: string | undefined;
  while (!abort.signal.aborted) {
    resourceVersion = await cluster
      .watch(syncApiVersion, syncKind, { namespace, resourceVersion, signal: abort.signal }, (event) => {
        const r = summarise(event.object as KubeObject);
        const key = `${r.namespace}/${r.name}`;
        const text = JSON.stringify(r);
        if (event.type !== 'DELETED' && shown.get(key) === text) return;
        shown.set(key, text);
        if (options.output === 'json') return void console.log(JSON.stringify({ type: event.type, sync: r }));
        const cells = row(r, { allNamespaces: all, now: new Date() });
        if (!headerPrinted) {
          console.log(padded(headerOf({ allNamespaces: all }), widths));
          headerPrinted = true;
        }
        console.log(padded(cells, widths));
      })
      .catch((error: Error) => {
        if (!abort.signal.aborted) console.error(`tidemark: the watch ended (${error.message}); watching again`);
        return undefined;
      });
  }
}

function byName(a: SyncSummary, b: SyncSummary): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}
