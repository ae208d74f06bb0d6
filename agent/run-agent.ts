import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { CheckoutCache } from '../adapters/git/checkout-cache';
import { ClusterClient } from '../adapters/kubernetes/cluster-client';
import { type ChartMirror, parseChartMirrors } from '../core/helm/chart-mirrors';
import { redactSecrets } from '../core/notify/redact';
import { tidemarkVersion } from '../core/version';
import { AgentMetrics } from './agent-metrics';
import { LeaderElection } from './leader-election';
import { startProbeServer } from './probe-server';
import { SelfHeal } from './self-heal';
import { SyncController } from './sync-controller';

export interface AgentOptions {
  /** Kubeconfig path; in a pod, the ServiceAccount is used when absent. */
  kubeconfig?: string;
  /** Where repositories and checkouts are cached (an emptyDir in the pod). */
  cacheDir: string;
  /** Port of /healthz, /readyz and /metrics; 0 picks a free one. */
  port: number;
  /** Run only while holding this Lease (replicas > 1). */
  leaderElection?: { namespace: string; name: string; identity?: string };
  /** Watch Syncs in this namespace only (the namespaced install). */
  watchNamespace?: string;
  /**
   * The agent's own namespace: a Sync elsewhere must name `spec.serviceAccountName` (impersonated to apply it).
   * @default `watchNamespace`, else the pod's namespace (its ServiceAccount mount), else none (an agent on a laptop)
   */
  ownNamespace?: string;
  /** The namespaces the agent may write to (the namespaced install): self-heal watches only these. */
  namespaces?: string[];
  /** Long-poll this SQS queue for pushes and reconcile the Syncs they name at once (see sync-queue-listener.ts). */
  syncQueueUrl?: string;
  /**
   * Report deployment events (deployed, failed, degraded, recovered, healed, suspended, resumed) to this cluster's
   * events queue (SQS FIFO), naming the cluster as `cluster` (`clusters[].name` in tidemark.config.yaml).
   */
  events?: { queueUrl: string; cluster: string };
  /**
   * Where Helm charts are pulled from instead of the URL Git names (core/helm/chart-mirrors.ts).
   * @default - `TIDEMARK_CHART_MIRRORS` (a YAML or JSON list), else none
   */
  chartMirrors?: ChartMirror[];
  /** Called when the leader lease is lost; default: exit so Kubernetes restarts the pod as a standby. */
  onLeadershipLost?: () => void;
}

export interface RunningAgent {
  controller: SyncController;
  metrics: AgentMetrics;
  /** The port the probe server listens on. */
  port: number;
  /**
   * Graceful shutdown: stop scheduling, cut short fetches and renders (an apply in progress finishes and writes its
   * status), release the lease.
   */
  stop(): Promise<void>;
}

/**
 * Starts the pull agent: probes and metrics first (so Kubernetes sees it alive), then, once leading (or at once
 * without leader election), the Sync loop and self-heal. Resolves when the agent runs.
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  // The version on every line, so a log read after an upgrade says which agent wrote it.
  const logger = new Logger({
    serviceName: 'tidemark-agent',
    persistentKeys: { version: tidemarkVersion },
    // Every string of every line through the credential scrubber: a URL with user-info or a token in an error message
    // must not reach a log that more people read than the Secrets it came from.
    jsonReplacerFn: (_key, value) => (typeof value === 'string' ? redactSecrets(value) : value),
  });
  logger.info('agent starting', { node: process.version, pid: process.pid });
  const cluster = ClusterClient.fromKubeconfig(options.kubeconfig);
  const metrics = new AgentMetrics();
  const selfHeal = new SelfHeal(
    cluster,
    logger,
    (heal) => {
      metrics.heals.inc({ sync: heal.sync });
      logger.info('healed', { ...heal });
      void controller.recordHeal(heal);
    },
    options.namespaces,
    (sync, objects) => controller.recordDrift(sync, objects),
  );
  const publisher = options.events ? await eventPublisher(options.events.queueUrl, metrics, logger) : undefined;
  const controller = new SyncController(cluster, new CheckoutCache(options.cacheDir), selfHeal, metrics, logger, {
    namespace: options.watchNamespace,
    chartMirrors: options.chartMirrors ?? parseChartMirrors(process.env.TIDEMARK_CHART_MIRRORS),
    ...ownNamespaceOf(options),
    ...(publisher && options.events
      ? { deploymentEvents: { cluster: options.events.cluster, publish: (...e) => publisher.publish(...e) } }
      : {}),
  });
  let election: LeaderElection | undefined;
  const probes = await startProbeServer(options.port, metrics.registry, () =>
    election && !election.isLeader ? true : controller.ready,
  );
  if (options.leaderElection) {
    election = new LeaderElection(
      cluster,
      { ...options.leaderElection, identity: options.leaderElection.identity ?? hostname() },
      logger,
    );
    await election.run(options.onLeadershipLost ?? (() => process.exit(1)));
  }
  await controller.start();
  // Started only once leading: a standby must not take messages off the queue that it cannot act on.
  const listener = options.syncQueueUrl ? await queueListener(options.syncQueueUrl, controller, logger) : undefined;
  listener?.start();
  logger.info('agent started', { port: probes.port, namespace: options.watchNamespace ?? 'all' });
  return {
    controller,
    metrics,
    port: probes.port,
    async stop() {
      // Both at once: the listener waits for the reconciles of the messages in hand, which the controller cuts short
      // (the listener then hands those messages back to the queue for the next agent).
      await Promise.all([listener?.stop(), controller.stop()]);
      // The reconciles that just finished may have published; a pod has 30 s after SIGTERM, this takes at most 5.
      const unsent = await publisher?.stop(5000);
      if (unsent) logger.warn('deployment events not sent before shutdown', { unsent });
      selfHeal.stop();
      await election?.release();
      await new Promise((resolve) => probes.server.close(resolve));
      cluster.close();
      logger.info('agent stopped');
    },
  };
}

/**
 * The deployment events publisher, imported only when an events queue is configured (it brings the AWS SDK), with
 * what it does counted on /metrics and logged.
 */
async function eventPublisher(queueUrl: string, metrics: AgentMetrics, logger: Logger) {
  const [{ EventsQueue }, { EventPublisher }] = await Promise.all([
    import('../adapters/events/events-queue'),
    import('./event-publisher'),
  ]);
  let failing = false;
  const publisher: InstanceType<typeof EventPublisher> = new EventPublisher(new EventsQueue(queueUrl), {
    onSent: (count) => {
      metrics.deploymentEvents.inc({ outcome: 'sent' }, count);
      metrics.deploymentEventsPending.set(publisher.pending);
      if (failing) logger.info('deployment events are sent again', { pending: publisher.pending });
      failing = false;
    },
    onDropped: (event) => {
      metrics.deploymentEvents.inc({ outcome: 'dropped' });
      logger.warn('dropped a deployment event: too many waiting for the events queue', {
        kind: event.kind,
        sync: event.sync,
      });
    },
    onSendFailed: (error, pending) => {
      metrics.deploymentEventsPending.set(pending);
      // Once per outage, not once per retry: the agent's log is read in a terminal too.
      if (!failing) logger.warn('sending deployment events failed; retrying', { error: error.message, pending });
      failing = true;
    },
  });
  return publisher;
}

/**
 * The sync-queue listener, imported only when a queue is configured: it brings the AWS SDK, which an agent that only
 * polls Git has no use for (and which would cost it memory).
 */
async function queueListener(url: string, controller: SyncController, logger: Logger) {
  const [{ SyncQueue }, { SyncQueueListener }] = await Promise.all([
    import('../adapters/sync-queue/sync-queue'),
    import('./sync-queue-listener'),
  ]);
  return new SyncQueueListener(new SyncQueue(url), controller, logger);
}

/** See {@link AgentOptions.ownNamespace}. */
function ownNamespaceOf(options: AgentOptions): { ownNamespace?: string } {
  const mounted = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
  const own =
    options.ownNamespace ??
    options.watchNamespace ??
    (existsSync(mounted) ? readFileSync(mounted, 'utf8').trim() : undefined);
  return own ? { ownNamespace: own } : {};
}
