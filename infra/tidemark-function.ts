import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { type IGrantable, type IPrincipal, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { skipCheckov } from './checkov-skip';
import { functionCode } from './function-code';
import type { State } from './state';

/** The checkout's root, which handler entries are relative to. */
export const projectRoot = resolve(import.meta.dirname, '..');

/** Powertools metrics namespace of every function; the dashboard searches it. */
export const metricsNamespace = 'Tidemark';

export interface TidemarkFunctionProps {
  /** Handler file, relative to the checkout, exporting `handler`; e.g. `functions/webhook/handler.ts`. */
  readonly entry: string;
  /** Powertools service name: the `service` key of every log line and the dimension of every metric. */
  readonly serviceName: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** The validated deployment config, passed as `TIDEMARK_CONFIG`. */
  readonly config: DeploymentConfig;
  /** The shared table, passed as `TIDEMARK_TABLE_NAME`; the function may read and write the records of `stateKeys`. */
  readonly state: State;
  /**
   * The State table items the function reads and writes, as IAM `StringLike` patterns of their `id`, built with the
   * key builders of core/state/state-keys.ts (`[claimKey(claimLedgers.webhookDeliveries, '*')]`). The role may touch
   * no other item (`dynamodb:LeadingKeys`; see `State.grantRecordAccess`). No default: a function that needs a new
   * kind of record must say so here, or AWS denies it (moto, which the tests run on, does not enforce IAM).
   * An empty list gives the function no access to the table.
   */
  readonly stateKeys: readonly string[];
  /**
   * Cluster name → sync queue URL, passed as `TIDEMARK_SYNC_QUEUE_URLS` (JSON).
   * @default - not set; the function sends no sync requests
   */
  readonly syncQueueUrls?: Record<string, string>;
  /**
   * Alerts topic ARN, passed as `TIDEMARK_ALERTS_TOPIC_ARN`.
   * @default - not set; the function sends no alerts
   */
  readonly alertsTopicArn?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency, where running two copies at once would do harm (see each capability).
   * @default - unreserved
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
  /**
   * The network of a function that must reach something inside a VPC (a reconciler of an RDS database), with the
   * subnets and security groups it runs in. Its subnets need a route to AWS's APIs and the Git provider.
   * @default - outside any VPC: the functions call public endpoints only
   */
  readonly network?: { vpc: IVpc; vpcSubnets: SubnetSelection; securityGroups: ISecurityGroup[] };
}

/**
 * A Tidemark Lambda function: Node.js 24 on arm64 (cheaper per GB-second, and nothing here is x86-specific), bundled
 * locally by esbuild (never Docker, so `cdk synth` works offline), its own log group with a retention, its own role
 * that may only write those logs and its own State table records until a capability grants more, and the environment of
 * `functions/function-env.ts`.
 */
export class TidemarkFunction extends Construct implements IGrantable {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;
  /** The Powertools service name, also the `service` dimension of its metrics. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: TidemarkFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    const entry = join(projectRoot, props.entry);
    if (!existsSync(entry)) {
      throw new Error(
        `${id}: entry '${props.entry}' does not exist in ${projectRoot}. Point it at the handler file that exports 'handler'`,
      );
    }
    // The schema keeps the config small enough for Lambda's 4 KB of environment (deployment-config.ts).
    const configJson = JSON.stringify(props.config);
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(`${id}: memorySize must be a whole number of MB from 128 to 10240, but ${memorySize} was given`);
    }
    const reserved = props.reservedConcurrentExecutions;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      throw new Error(
        `${id}: reservedConcurrentExecutions must be 1 or more, but ${reserved} was given. Omit it to leave the function unreserved`,
      );
    }

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.THREE_MONTHS });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Tidemark ${props.serviceName} function`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every group): only this function's log group.
    this.logGroup.grantWrite(role);
    const logGroupId = Stack.of(this).getLogicalId(this.logGroup.node.defaultChild as CfnLogGroup);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logGroupId}.Arn>:*]`,
      reason:
        "Lambda names log streams at run time; the wildcard covers only the streams of this function's log group.",
    });

    const environment: Record<string, string> = {
      TIDEMARK_CONFIG: configJson,
      TIDEMARK_TABLE_NAME: props.state.tableName,
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // The bundle is minified; stack traces are read through its source map.
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (props.syncQueueUrls !== undefined) {
      environment.TIDEMARK_SYNC_QUEUE_URLS = Stack.of(this).toJsonString(props.syncQueueUrls);
    }
    if (props.alertsTopicArn !== undefined) environment.TIDEMARK_ALERTS_TOPIC_ARN = props.alertsTopicArn;

    this.function = new NodejsFunction(this, 'Function', {
      // Bundled by functionCode, with the esbuild plugin NodejsFunction's own bundling cannot take.
      code: functionCode(entry),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: reserved,
      role,
      logGroup: this.logGroup,
      environment,
      ...(props.network ?? {}),
    });
    props.state.grantRecordAccess(role, props.stateKeys);

    skipCheckov(
      this.function,
      {
        id: 'CKV_AWS_116',
        comment:
          'Tidemark functions are fed by an SQS queue with its own dead-letter queue, a Function URL (synchronous) or a schedule whose next run redoes the work; a Lambda DLQ would hold nothing to act on.',
      },
      {
        id: 'CKV_AWS_173',
        comment: 'The environment holds names and ARNs only; secrets are read from Secrets Manager at run time.',
      },
    );
    if (props.network === undefined) {
      skipCheckov(this.function, {
        id: 'CKV_AWS_117',
        comment:
          'The functions call public endpoints only (GitHub, ECR, EKS API); a VPC would add NAT gateways and no isolation.',
      });
    } else {
      // Lambda's ENIs: CreateNetworkInterface and its kin cannot be scoped to resources, and this managed policy is
      // AWS's documented minimum for a function in a VPC.
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'A function in a VPC needs ec2:CreateNetworkInterface and its kin, which take no resource; this AWS managed policy grants only those.',
      });
    }
    if (reserved === undefined) {
      skipCheckov(this.function, {
        id: 'CKV_AWS_115',
        comment: 'Concurrency is bounded by its event source (a FIFO message group); see the capability construct.',
      });
    }
    skipCheckov(this.logGroup, {
      id: 'CKV_AWS_158',
      comment:
        'CloudWatch Logs encrypts at rest by default; the logs carry no secrets (handlers log names, never values).',
    });
  }

  /** The function's role, for capability grants. */
  get grantPrincipal(): IPrincipal {
    return this.function.grantPrincipal;
  }
}
