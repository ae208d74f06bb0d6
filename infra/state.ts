import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface StateProps {
  /**
   * What happens to the table when the stack is deleted. It holds only recomputable state (idempotency records,
   * webhook deliveries, drift fingerprints, the drift cache), but deleting it re-sends every open drift alert.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse `DeleteTable` until switched off, as a guard against deleting the table by hand.
   * @default false - the table is retained on stack deletion anyway
   */
  readonly deletionProtection?: boolean;
}

/**
 * The one DynamoDB table every function shares (`functions/function-env.ts`): partition key `id` (string) and TTL
 * attribute `expiration` (Powertools idempotency's defaults), items told apart by the prefix of `id`. On-demand,
 * because traffic is a trickle with bursts (a release pushes many images at once), and with point-in-time recovery.
 */
export class State extends Construct {
  /** Partition key; the same name Powertools idempotency uses by default. */
  static readonly partitionKey = 'id';
  /** TTL attribute; the same name Powertools idempotency uses by default. */
  static readonly expirationAttribute = 'expiration';

  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: StateProps = {}) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: State.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: State.expirationAttribute,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Lets a function read and write its records (idempotency, dedupe, fingerprints, cache) and no others: item
   * operations only, not `Scan` (every record is found by its `id`) nor anything on the table itself, and only on
   * items whose `id` matches one of `keys` (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`, with a `Null` check
   * so that a request without a key is not let through by an empty set). Build the patterns with the key builders of
   * core/state/state-keys.ts, passing `*` for the parts that vary.
   *
   * @param keys IAM `StringLike` patterns of `id` (`*` any run of characters, `?` one); none grants nothing.
   * @example
   * state.grantRecordAccess(fn, [driftAlertKey('prod'), driftCacheKey('prod'), driftCacheChunkKey('prod', '*')]);
   */
  grantRecordAccess(grantee: IGrantable, keys: readonly string[]): void {
    for (const key of keys) {
      // The kind of item (`<kind>#`) must be literal: `*#*` or `*.x#*` would reach other functions' items.
      if (!/^[^*?]*#/.test(key)) {
        throw new Error(
          `State: key pattern '${key}' does not begin with the kind of item it names, so it could match other functions' items. Begin it with the literal prefix, such as 'webhook-delivery#*'`,
        );
      }
    }
    if (keys.length === 0) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...State.recordActions],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...new Set(keys)] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      }),
    );
  }

  /** The item operations {@link grantRecordAccess} allows. */
  static readonly recordActions = [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ];
}
