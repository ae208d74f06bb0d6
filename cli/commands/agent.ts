import type { Command } from 'commander';
import { startAgent } from '../../agent/run-agent';

interface AgentCliOptions {
  kubeconfig?: string;
  cacheDir: string;
  port: string;
  leaderElect?: boolean;
  leaseNamespace: string;
  watchNamespace?: string;
  ownNamespace?: string;
  namespaces?: string;
  syncQueueUrl?: string;
  eventsQueueUrl?: string;
  cluster?: string;
}

/** `tidemark agent`: the in-cluster pull agent; runs until SIGTERM (DESIGN.md, the CLI table). */
export function register(program: Command): void {
  program
    .command('agent')
    .description('run the pull agent: keep every Sync in the cluster equal to its Git folder')
    .option('--kubeconfig <path>', 'kubeconfig to use (default: $KUBECONFIG, then the in-cluster ServiceAccount)')
    .option(
      '--cache-dir <dir>',
      'where repositories are cached',
      process.env.TIDEMARK_CACHE_DIR ?? '/tmp/tidemark-agent',
    )
    .option('--port <port>', 'port of /healthz, /readyz and /metrics', '8080')
    .option('--leader-elect', 'hold a Lease so only one replica acts (needed when replicas > 1)')
    .option('--lease-namespace <ns>', 'namespace of the leader Lease', process.env.POD_NAMESPACE ?? 'tidemark-system')
    .option('--watch-namespace <ns>', 'watch Syncs in this namespace only (the namespaced install)')
    .option(
      '--own-namespace <ns>',
      "the agent's own namespace: a Sync elsewhere must name spec.serviceAccountName (default: --watch-namespace, else the pod's)",
      process.env.POD_NAMESPACE,
    )
    .option('--namespaces <list>', 'comma-separated namespaces the agent may write to (the namespaced install)')
    .option('--sync-queue-url <url>', 'long-poll this SQS queue for pushes and reconcile the matching Syncs at once')
    .option(
      '--events-queue-url <url>',
      'report deployment events to this SQS FIFO queue (stack output EventsQueueUrl-<cluster>)',
      process.env.TIDEMARK_EVENTS_QUEUE_URL,
    )
    .option(
      '--cluster <name>',
      "this cluster's name in tidemark.config.yaml, named in its events",
      process.env.TIDEMARK_CLUSTER,
    )
    .action(async (options: AgentCliOptions) => {
      if (options.eventsQueueUrl && !options.cluster) {
        console.error(
          'tidemark: --events-queue-url needs --cluster (or TIDEMARK_CLUSTER): the name of this cluster in tidemark.config.yaml',
        );
        process.exit(2);
      }
      const agent = await startAgent({
        kubeconfig: options.kubeconfig,
        cacheDir: options.cacheDir,
        port: Number(options.port),
        watchNamespace: options.watchNamespace,
        ...(options.ownNamespace ? { ownNamespace: options.ownNamespace } : {}),
        syncQueueUrl: options.syncQueueUrl,
        ...(options.eventsQueueUrl && options.cluster
          ? { events: { queueUrl: options.eventsQueueUrl, cluster: options.cluster } }
          : {}),
        ...(options.namespaces ? { namespaces: options.namespaces.split(',').map((n) => n.trim()) } : {}),
        ...(options.leaderElect
          ? { leaderElection: { namespace: options.leaseNamespace, name: 'tidemark-agent' } }
          : {}),
      });
      const shutdown = async (signal: string) => {
        process.removeAllListeners(signal);
        await agent.stop();
        process.exit(0);
      };
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    });
}
