import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { AgentImage } from './agent-image';
import { type AgentInstallOutput, agentInstallOutputKey } from './agent-install-output';
import { Alerts } from './alerts';
import { chartRepositoriesOf } from './chart-pull';
import { ClusterAccess } from './cluster-access';
import { DeploymentEvents } from './deployment-events';
import { DriftScanner } from './drift-scanner';
import { Hydrator } from './hydrator';
import { ImageUpdater } from './image-updater';
import { Notifier } from './notifier';
import { Observability } from './observability';
import { Promoter } from './promoter';
import { ResourceReconciler } from './resource-reconciler';
import { State } from './state';
import { WebhookReceiver } from './webhook-receiver';

export interface TidemarkStackProps extends StackProps {
  /** The validated `tidemark.config.yaml`. The stack's region is its clusters' region. */
  readonly config: DeploymentConfig;
  /**
   * Handler files, relative to the checkout, by capability.
   * @default - the handlers in `functions/`
   */
  readonly entries?: {
    imageUpdater?: string;
    webhook?: string;
    driftScanner?: string;
    notifier?: string;
    hydrator?: string;
    promoter?: string;
  };
  /**
   * The folder of tidemark.config.yaml: the files under `reconcilers:` are relative to it.
   * @default - the checkout's root
   */
  readonly configDir?: string;
}

/**
 * All of Tidemark from one config file. Construct ids are a contract: renaming one replaces its resources (and a
 * replaced table loses its state), so they stay as they are.
 */
export class TidemarkStack extends Stack {
  readonly state: State;
  readonly alerts: Alerts;
  readonly webhook: WebhookReceiver;
  readonly clusters: ClusterAccess[];
  readonly imageUpdater: ImageUpdater;
  readonly hydrator: Hydrator;
  readonly driftScanner: DriftScanner;
  /** One per folder under `resources`, in config order. */
  readonly reconcilers: ResourceReconciler[];
  readonly deploymentEvents: DeploymentEvents;
  readonly notifier: Notifier;
  /** Absent when `notifications.eventBridge` is off: the promoter learns of deployments from those events. */
  readonly promoter?: Promoter;
  readonly observability: Observability;
  readonly agentImage: AgentImage;

  constructor(scope: Construct, id: string, props: TidemarkStackProps) {
    const region = regionOf(props.config);
    if (props.env?.region !== undefined && props.env.region !== region) {
      throw new Error(
        `${id}: env.region is '${props.env.region}' but the clusters are in '${region}'. Leave env.region unset; the stack goes where its clusters are`,
      );
    }
    super(scope, id, {
      description:
        'Tidemark: GitOps for EKS (image updates, webhook-triggered sync, drift alerts, deployment notifications)',
      ...props,
      env: { ...props.env, region },
    });
    const { config } = props;

    this.state = new State(this, 'State');
    this.alerts = new Alerts(this, 'Alerts', {
      emails: config.alerts.snsEmails,
      slackWebhookSecretName: config.alerts.slackWebhookSecretName,
      createSlackWebhookSecret: config.alerts.createSlackWebhookSecret,
    });
    // Created by the user before deploying (a token cannot be generated); referenced by name only.
    const configRepoSecret = Secret.fromSecretNameV2(this, 'ConfigRepoSecret', config.configRepo.authSecretName);

    this.reconcilers = config.resources.map(
      (folder) =>
        new ResourceReconciler(this, `Resources-${folder.name}`, {
          config,
          folder,
          configDir: props.configDir,
          state: this.state,
          alerts: this.alerts,
          configRepoSecret,
        }),
    );
    this.webhook = new WebhookReceiver(this, 'Webhook', {
      config,
      state: this.state,
      createSecret: config.webhook.createSecret,
      entry: props.entries?.webhook,
      resourceQueues: this.reconcilers.map((r) => r.syncQueue),
    });
    this.deploymentEvents = new DeploymentEvents(this, 'DeploymentEvents', {
      clusterNames: config.clusters.map((c) => c.name),
    });
    const chartRepositories = chartRepositoriesOf(config);
    this.clusters = config.clusters.map(
      (cluster) =>
        new ClusterAccess(this, `Cluster-${cluster.name}`, {
          cluster,
          syncQueue: this.webhook.syncQueue(cluster.name),
          events: this.deploymentEvents,
          chartRepositories,
        }),
    );
    this.imageUpdater = new ImageUpdater(this, 'ImageUpdater', {
      config,
      state: this.state,
      configRepoSecret,
      syncQueues: this.webhook.syncQueues,
      entry: props.entries?.imageUpdater,
    });
    this.hydrator = new Hydrator(this, 'Hydrator', {
      config,
      state: this.state,
      configRepoSecret,
      alerts: this.alerts,
      clusters: this.clusters,
      syncQueues: this.webhook.syncQueues,
      entry: props.entries?.hydrator,
    });
    this.hydrator.acceptPushesFrom(this.webhook);
    this.driftScanner = new DriftScanner(this, 'DriftScanner', {
      config,
      clusters: this.clusters,
      state: this.state,
      alerts: this.alerts,
      configRepoSecret,
      entry: props.entries?.driftScanner,
    });
    this.notifier = new Notifier(this, 'Notifier', {
      config,
      events: this.deploymentEvents,
      state: this.state,
      alerts: this.alerts,
      configRepoSecret,
      entry: props.entries?.notifier,
    });
    if (config.notifications.eventBridge) {
      this.promoter = new Promoter(this, 'Promoter', {
        config,
        state: this.state,
        configRepoSecret,
        alerts: this.alerts,
        syncQueues: this.webhook.syncQueues,
        entry: props.entries?.promoter,
      });
    }
    this.observability = new Observability(this, 'Observability', {
      alerts: this.alerts,
      functions: [
        this.imageUpdater.handler,
        this.hydrator.handler,
        this.webhook.handler,
        this.driftScanner.handler,
        this.notifier.handler,
        ...(this.promoter ? [this.promoter.handler] : []),
        ...this.reconcilers.map((r) => r.handler),
      ],
      driftScanner: this.driftScanner.handler,
      handledFailures: [
        ...this.webhook.handledFailures(),
        ...this.imageUpdater.handledFailures(),
        ...this.driftScanner.handledFailures(),
        ...this.notifier.handledFailures(),
        ...this.reconcilers.flatMap((r) => r.handledFailures()),
      ],
      queues: [
        { name: 'image-updater', queue: this.imageUpdater.queue, deadLetterQueue: this.imageUpdater.deadLetterQueue },
        { name: 'hydrator', queue: this.hydrator.queue, deadLetterQueue: this.hydrator.deadLetterQueue },
        ...this.webhook.syncQueues.map((q) => ({
          name: `sync-${q.clusterName}`,
          queue: q.queue,
          deadLetterQueue: q.deadLetterQueue,
        })),
        ...this.reconcilers.map((r) => ({
          name: `resources-${r.folderName}`,
          queue: r.syncQueue.queue,
          deadLetterQueue: r.syncQueue.deadLetterQueue,
        })),
        // One dead-letter queue for every cluster's events, alarmed once as `events`.
        ...[...this.deploymentEvents.queues].map(([cluster, queue]) => ({
          name: `events-${cluster}`,
          queue,
          deadLetterQueue: this.deploymentEvents.deadLetterQueue,
          deadLetterName: 'events',
        })),
        {
          name: 'notifier-flush',
          queue: this.notifier.flushQueue,
          deadLetterQueue: this.notifier.flushDeadLetterQueue,
        },
        ...(this.promoter
          ? [{ name: 'promoter', queue: this.promoter.queue, deadLetterQueue: this.promoter.deadLetterQueue }]
          : []),
      ],
    });

    new CfnOutput(this, 'WebhookUrl', {
      value: this.webhook.url.url,
      description: 'Payload URL for the config repo webhook (content type application/json, push events)',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: this.webhook.secret.secretArn,
      description: 'Secret of the webhook: aws secretsmanager get-secret-value --secret-id <this> --query SecretString',
    });
    new CfnOutput(this, 'AlertsTopicArn', { value: this.alerts.topic.topicArn, description: 'SNS topic of alerts' });
    for (const q of this.webhook.syncQueues) {
      new CfnOutput(this, `SyncQueueUrl-${q.clusterName}`, {
        value: q.queueUrl,
        description: `Sync queue of cluster ${q.clusterName}: the agent's --sync-queue-url`,
      });
    }

    // Everything `tidemark install --cluster NAME` needs from AWS, one output per cluster (agent-install-output.ts).
    this.agentImage = new AgentImage(this, 'AgentImage', { setting: config.agentImage });
    for (const access of this.clusters) {
      const install: AgentInstallOutput = {
        cluster: access.clusterName,
        syncQueueUrl: this.webhook.syncQueue(access.clusterName).queueUrl,
        eventsQueueUrl: this.deploymentEvents.queue(access.clusterName).queueUrl,
        agentRoleArn: access.agentRole.roleArn,
        image: this.agentImage.imageUri,
      };
      new CfnOutput(this, agentInstallOutputKey(access.clusterName), {
        value: this.toJsonString(install),
        description: `What 'tidemark install --cluster ${access.clusterName}' deploys: sync and events queues, agent role, image`,
      });
    }
    for (const [cluster, queue] of this.deploymentEvents.queues) {
      new CfnOutput(this, `EventsQueueUrl-${cluster}`, {
        value: queue.queueUrl,
        description: `Deployment events queue of cluster ${cluster}: the agent's --events-queue-url`,
      });
    }
  }
}

/** The clusters' region (the config schema keeps them in one); the stack must be there to reach them. */
export function regionOf(config: DeploymentConfig): string {
  return config.clusters[0]!.region;
}
