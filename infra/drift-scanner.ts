import { Duration, Validations } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { driftAlertKey, driftCacheChunkKey, driftCacheKey, driftFindingsKey } from '../core/state/state-keys';
import type { Alerts } from './alerts';
import { chartRepositoriesOf, grantChartPull } from './chart-pull';
import { secretsManagerKey, skipCheckov } from './checkov-skip';
import type { ClusterAccess } from './cluster-access';
import { FunctionSchedule } from './function-schedule';
import { HelmLayer } from './layers/helm-layer';
import { KustomizeLayer } from './layers/kustomize-layer';
import { type HandledFailure, powertoolsCount } from './observability';
import type { State } from './state';
import { TidemarkFunction } from './tidemark-function';

/** `detail-type` of the scheduled event that starts a drift scan. */
export const driftScanDetailType = 'Tidemark Drift Scan';

export interface DriftScannerProps {
  /** The validated deployment config: `schedules.driftScan`, the clusters and the config repo. */
  readonly config: DeploymentConfig;
  /**
   * The clusters to read. The scanner gets `eks:DescribeCluster` and an access entry with the EKS view policy there,
   * in the group `tidemark:drift-scanner`, which agent/deploy/drift-scanner allows to dry-run but never to write.
   */
  readonly clusters: ClusterAccess[];
  /** The shared table: drift fingerprints (one alert per change of drift) and the drift cache. */
  readonly state: State;
  /** Where drift alerts go: the topic and the Slack webhook secret. */
  readonly alerts: Alerts;
  /**
   * Credentials of the config repo, read at run time to fetch the desired state, unless the config names a read-only
   * secret (`configRepo.readOnlySecretName`): then the scanner may read that one, and not this one. The scanner only
   * fetches, so a token that can only read is enough; the shared secret can also write (the image updater's commits).
   */
  readonly configRepoSecret: ISecret;
  /**
   * Handler file, relative to the checkout.
   * @default 'functions/drift-scanner/handler.ts'
   */
  readonly entry?: string;
  /**
   * Memory, which on Lambda also buys CPU. A scan of 2,000 objects stays under 256 MB (the target of bench/diff, and
   * the handler scans four clusters at a time to keep to it), but rendering and diffing are CPU-bound, and 1024 MB
   * gets about 0.6 of a vCPU where 256 MB gets 0.15.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * A scan of every cluster must finish before the next one starts.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
}

/**
 * Git versus the clusters, on a schedule. EventBridge Scheduler invokes the scanner; it reads each cluster through its
 * view-only access entry, compares with Git, and alerts once per change of drift. One scan runs at a time (reserved
 * concurrency 1): two overlapping scans would both see a new drift and both alert.
 */
export class DriftScanner extends Construct {
  readonly handler: TidemarkFunction;
  readonly schedule: FunctionSchedule;
  /**
   * The key the drift cache's manifest digests are HMACs under (`TIDEMARK_DRIFT_CACHE_KEY_SECRET`). Without it the
   * cache in the State table would hold plain hashes of Secret manifests, which confirm a guessed value offline.
   */
  readonly digestKey: Secret;
  /** The config repo secret the scanner reads: `configRepo.readOnlySecretName` if set, else `configRepoSecret`. */
  readonly repoSecret: ISecret;
  private readonly clusterNames: string[];

  constructor(scope: Construct, id: string, props: DriftScannerProps) {
    super(scope, id);
    if (props.clusters.length === 0) {
      throw new Error(`${id}: clusters is empty, so there is nothing to scan. Pass at least one ClusterAccess`);
    }
    const timeout = props.timeout ?? Duration.minutes(5);
    if (timeout.toSeconds() < 30 || timeout.toSeconds() > 900) {
      throw new Error(`${id}: timeout must be from 30 seconds to 15 minutes, but ${timeout.toHumanString()} was given`);
    }

    this.clusterNames = props.clusters.map((c) => c.clusterName);
    this.handler = new TidemarkFunction(this, 'Handler', {
      entry: props.entry ?? 'functions/drift-scanner/handler.ts',
      serviceName: 'drift-scanner',
      description: 'Tidemark: compares Git with each cluster and alerts on drift',
      config: props.config,
      state: props.state,
      // Per scanned cluster: its alert state, its drift cache's head and chunks, and its findings (for tidemark ui).
      stateKeys: this.clusterNames.flatMap((c) => [
        driftAlertKey(c),
        driftCacheKey(c),
        driftCacheChunkKey(c, '*'),
        driftFindingsKey(c),
      ]),
      alertsTopicArn: props.alerts.topic.topicArn,
      memorySize: props.memorySize ?? 1024,
      timeout,
      reservedConcurrentExecutions: 1,
    });
    // The Lambda runtime has no kubectl: the layer's kustomize renders the config repo's overlays (engine/render).
    this.handler.function.addLayers(new KustomizeLayer(this, 'Kustomize'));
    this.handler.function.addEnvironment('TIDEMARK_KUSTOMIZE', KustomizeLayer.binary);
    // …and the layer's helm renders a Sync's chart with the same Helm version as the agent (engine/render).
    this.handler.function.addLayers(new HelmLayer(this, 'Helm'));
    this.handler.function.addEnvironment('TIDEMARK_HELM', HelmLayer.binary);
    props.alerts.grantSend(this.handler);
    const { readOnlySecretName } = props.config.configRepo;
    this.repoSecret = readOnlySecretName
      ? Secret.fromSecretNameV2(this, 'ConfigRepoReadOnlySecret', readOnlySecretName)
      : props.configRepoSecret;
    this.repoSecret.grantRead(this.handler);
    this.digestKey = new Secret(this, 'DriftCacheKey', {
      description: "Tidemark: the drift scanner's key for the digests in its drift cache (read by the scanner alone)",
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.digestKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A new key only makes the next scan dry-run every object once (no cached digest matches); it protects no access, so it needs no rotation schedule.',
    });
    skipCheckov(this.digestKey, secretsManagerKey);
    this.digestKey.grantRead(this.handler);
    this.handler.function.addEnvironment('TIDEMARK_DRIFT_CACHE_KEY_SECRET', this.digestKey.secretArn);
    for (const cluster of props.clusters) cluster.grantDriftScan(this.handler.function.role as IRole);
    // It renders the same OCI charts as the agents, so it pulls them from ECR with its own role too.
    grantChartPull(this.handler.function.role as IRole, chartRepositoriesOf(props.config));

    this.schedule = new FunctionSchedule(this, 'Schedule', {
      function: this.handler.function,
      expression: props.config.schedules.driftScan,
      detailType: driftScanDetailType,
      description: 'Tidemark: drift scan of every cluster',
      // The next scan is minutes away; a late one would only queue up behind reserved concurrency 1.
      maxEventAge: Duration.minutes(5),
    });
  }

  /**
   * Clusters that could not be scanned, or whose alerts could not be delivered: the scanner isolates clusters, so
   * neither fails the invocation. From `functions/drift-scanner/handler.ts`: `ScanErrors` per `cluster`.
   */
  handledFailures(): HandledFailure[] {
    return this.clusterNames.map((cluster) => ({
      id: `DriftScanFailed-${cluster}`,
      metric: powertoolsCount(this.handler.serviceName, 'ScanErrors', { cluster }, Duration.minutes(15)),
      description: `Tidemark drift scan of cluster ${cluster} failed, or its alerts could not be delivered. The drift scanner log group has the reason.`,
    }));
  }
}
