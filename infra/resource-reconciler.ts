import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Arn, ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import { SecurityGroup, Subnet, Vpc } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { reconcilersByKind } from '../core/resources/reconciler';
import { driftTarget } from '../core/resources/resources-drift';
import type { ResourceFolderConfig } from '../core/resources/resources-settings';
import { driftAlertKey, resourcesStatusKey } from '../core/state/state-keys';
import { folderSettings } from '../engine/resources/folder-settings';
import { resourceDriftScanDetailType } from '../functions/reconcilers/reconciler-handler';
import postgres, { type PostgresSettings } from '../reconcilers/postgres';
import route53, { type Route53Settings } from '../reconcilers/route53';
import type { Alerts } from './alerts';
import { FunctionSchedule } from './function-schedule';
import { type HandledFailure, powertoolsCount } from './observability';
import type { State } from './state';
import { SyncQueue } from './sync-queue';
import { projectRoot, TidemarkFunction } from './tidemark-function';

export interface ResourceReconcilerProps {
  /** The validated deployment config: the folder's reconciler reads it, and `schedules.driftScan` is the default. */
  readonly config: DeploymentConfig;
  /** The folder this function reconciles: its entry under `resources`. */
  readonly folder: ResourceFolderConfig;
  /**
   * Where `reconcilers:` files are relative to: the folder of tidemark.config.yaml.
   * @default - the checkout's root
   */
  readonly configDir?: string;
  /** Status, inventory and alert state of the folder live here. */
  readonly state: State;
  /** Drift alerts go here: the topic and the Slack webhook secret. */
  readonly alerts: Alerts;
  /** Credentials of the config repo, read at run time to fetch the declarations. */
  readonly configRepoSecret: ISecret;
  /**
   * Handler file, relative to the checkout.
   * @default - the built-in reconciler's handler, or one generated around your reconciler file
   */
  readonly entry?: string;
  /**
   * A run reconciles or scans every object of the folder; 500 record sets take seconds, an unreachable database
   * a little over its retries.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
}

/**
 * One folder of resources beyond Kubernetes, reconciled serverlessly: a Lambda bundled with the folder's reconciler
 * (built in, or a file of your own named under `reconcilers:`), its sync queue (the webhook asks it to run when a push
 * touches the folder) and a drift-scan schedule. One run at a time (reserved concurrency 1): two runs of one folder
 * would both apply and both alert. Least privilege per reconciler: Route 53 actions on the folder's hosted zones only;
 * for PostgreSQL, the admin secret and the secrets under its `passwordSecretPrefix`, and the VPC and security groups
 * of the folder's `network` to reach RDS; for a reconciler of your own, the folder's `permissions`.
 */
export class ResourceReconciler extends Construct {
  readonly handler: TidemarkFunction;
  readonly syncQueue: SyncQueue;
  readonly schedule: FunctionSchedule;
  readonly folderName: string;

  constructor(scope: Construct, id: string, props: ResourceReconcilerProps) {
    super(scope, id);
    const { folder } = props;
    this.folderName = folder.name;
    const timeout = props.timeout ?? Duration.minutes(5);
    if (timeout.toSeconds() < 30 || timeout.toSeconds() > 900) {
      throw new Error(`${id}: timeout must be from 30 seconds to 15 minutes, but ${timeout.toHumanString()} was given`);
    }
    const network = folder.network
      ? {
          vpc: Vpc.fromVpcAttributes(this, 'Vpc', {
            vpcId: folder.network.vpcId,
            availabilityZones: Stack.of(this).availabilityZones,
          }),
          vpcSubnets: { subnets: folder.network.subnetIds.map((s, i) => Subnet.fromSubnetId(this, `Subnet${i}`, s)) },
          securityGroups: folder.network.securityGroupIds.map((g, i) =>
            SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, g, { mutable: false }),
          ),
        }
      : undefined;
    if (folder.reconciler === 'postgres' && !network) {
      Validations.of(this).addWarning(
        'tidemark:resources.postgresWithoutNetwork',
        `resources '${folder.name}' reconciles PostgreSQL without a network; an RDS instance inside a VPC is reachable only with resources[].network (VPC, subnets, security groups)`,
      );
    }

    this.handler = new TidemarkFunction(this, 'Handler', {
      entry: props.entry ?? ResourceReconciler.entryFor(folder, props.configDir ?? projectRoot),
      serviceName: `reconciler-${folder.name}`,
      description: `Tidemark: reconciles resources '${folder.name}' (${folder.path}) with the ${folder.reconciler} reconciler`,
      config: props.config,
      state: props.state,
      // Its folder's status and alert state, and not another folder's.
      stateKeys: [resourcesStatusKey(folder.name), driftAlertKey(driftTarget(folder.name))],
      alertsTopicArn: props.alerts.topic.topicArn,
      memorySize: props.memorySize ?? 512,
      timeout,
      reservedConcurrentExecutions: 1,
      ...(network ? { network } : {}),
    });
    this.handler.function.addEnvironment('TIDEMARK_RESOURCES_FOLDER', folder.name);
    props.alerts.grantSend(this.handler);
    props.configRepoSecret.grantRead(this.handler);
    this.grantProvider(folder);

    // A request waits while a run is in progress (one at a time), so it must stay invisible for a whole run, and a
    // few throttled receives must not send it to the dead-letter queue: a lost request only delays the apply until
    // the next scheduled run, which reconciles when Git moved past the last attempt.
    this.syncQueue = new SyncQueue(this, 'SyncQueue', {
      clusterName: `resources/${folder.name}`,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      maxReceiveCount: 10,
    });
    this.handler.function.addEventSource(
      new SqsEventSource(this.syncQueue.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );

    this.schedule = new FunctionSchedule(this, 'Schedule', {
      function: this.handler.function,
      expression: folder.driftScan ?? props.config.schedules.driftScan,
      detailType: resourceDriftScanDetailType,
      description: `Tidemark: drift scan of resources '${folder.name}'`,
      maxEventAge: Duration.minutes(5),
    });
  }

  /**
   * The handler file of a folder: the built-in reconciler's, or, for a file of your own, a two-line entry generated
   * under `.cache/reconcilers/` that hands its default export to the same handler, so esbuild bundles it like the rest.
   */
  static entryFor(folder: ResourceFolderConfig, configDir: string): string {
    if (folder.reconciler === 'route53' || folder.reconciler === 'postgres') {
      return `functions/reconcilers/${folder.reconciler}/handler.ts`;
    }
    const dir = join(projectRoot, '.cache', 'reconcilers', folder.name);
    mkdirSync(dir, { recursive: true });
    const file = resolve(configDir, folder.reconciler);
    const handler = join(projectRoot, 'functions/reconcilers/reconciler-handler.ts');
    writeFileSync(
      join(dir, 'handler.ts'),
      `// Generated by infra/resource-reconciler.ts for resources '${folder.name}'; do not edit.\n` +
        `import reconcilers from ${JSON.stringify(file)};\n` +
        `import { reconcilerHandler } from ${JSON.stringify(handler)};\n` +
        'export const handler = reconcilerHandler(reconcilers);\n',
    );
    return relative(projectRoot, join(dir, 'handler.ts'));
  }

  private grantProvider(folder: ResourceFolderConfig): void {
    const stack = Stack.of(this);
    const role = this.handler.function.role!;
    if (folder.reconciler === 'route53') {
      const settings = folderSettings(folder, reconcilersByKind(route53)).get('DnsRecordSet') as Route53Settings;
      this.handler.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['route53:GetHostedZone', 'route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets'],
          resources: settings.hostedZoneIds.map((z) =>
            Arn.format(
              {
                service: 'route53',
                region: '',
                account: '',
                resource: 'hostedzone',
                resourceName: z.replace(/^\/?hostedzone\//, ''),
                partition: stack.partition,
              },
              stack,
            ),
          ),
        }),
      );
    } else if (folder.reconciler === 'postgres') {
      const settings = folderSettings(folder, reconcilersByKind(postgres)).get('PostgresRole') as PostgresSettings;
      Secret.fromSecretNameV2(this, 'AdminSecret', settings.adminSecretName).grantRead(this.handler);
      const prefix = Arn.format(
        {
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${settings.passwordSecretPrefix}*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      );
      this.handler.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [prefix],
        }),
      );
      // cdk-nag names the resource as CloudFormation will see it: tokens as <AWS::…>, literal values as they are.
      const shown = (value: string, token: string) => (Token.isUnresolved(value) ? `<AWS::${token}>` : value);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${shown(stack.region, 'Region')}:${shown(stack.account, 'AccountId')}:secret:${settings.passwordSecretPrefix}*]`,
        reason:
          "The roles' password secrets are named in Git; the grant is limited to the folder's passwordSecretPrefix, and the reconciler refuses any other name.",
      });
    } else {
      for (const statement of folder.permissions) {
        this.handler.function.addToRolePolicy(
          new PolicyStatement({ actions: statement.actions, resources: statement.resources }),
        );
        // The config requires a reason for each wildcard; it becomes the acknowledgement cdk-nag reads.
        for (const wildcard of [
          ...statement.actions.filter((a) => a.includes('*')).map((a) => `Action::${a}`),
          ...statement.resources.filter((r) => r.includes('*')).map((r) => `Resource::${r}`),
        ]) {
          Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${wildcard}]`, reason: statement.reason ?? '' });
        }
      }
    }
  }

  /**
   * Runs that did not reconcile everything, and drift scans that could not see the provider: the handler records
   * them as metrics instead of failing the invocation. From functions/reconcilers/reconciler-handler.ts.
   */
  handledFailures(): HandledFailure[] {
    const service = this.handler.serviceName;
    return [
      {
        id: `ReconcileFailed-${this.folderName}`,
        metric: powertoolsCount(service, 'ReconcileFailures', { folder: this.folderName }, Duration.minutes(15)),
        description: `Tidemark could not reconcile everything in resources '${this.folderName}'. tidemark get resources ${this.folderName} names each object and why.`,
      },
      {
        id: `ResourceScanFailed-${this.folderName}`,
        metric: powertoolsCount(service, 'ScanErrors', { folder: this.folderName }, Duration.minutes(15)),
        description: `Tidemark's drift scan of resources '${this.folderName}' could not read the provider. Its log group has the reason.`,
      },
    ];
  }
}
