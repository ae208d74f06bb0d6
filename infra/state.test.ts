import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { constructTestStack } from './fixtures/deployment-config';
import { State } from './state';

describe('State', () => {
  it('is one on-demand table keyed by the string id, with TTL on expiration and point-in-time recovery', () => {
    const stack = constructTestStack();
    new State(stack, 'State');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        Replicas: [{ Region: 'us-east-1', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('uses the key and TTL names Powertools idempotency expects by default', () => {
    expect(State.partitionKey).toBe('id');
    expect(State.expirationAttribute).toBe('expiration');
  });

  it('can be destroyed with the stack when asked to', () => {
    const stack = constructTestStack();
    new State(stack, 'State', { removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  it('grants record access as item operations on this table, without Scan or table actions, on the named keys only', () => {
    const stack = constructTestStack();
    const state = new State(stack, 'State');
    const role = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    state.grantRecordAccess(role, ['drift-alert#prod', 'drift-cache#prod#*', 'drift-alert#prod']);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: State.recordActions,
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        // ForAllValues holds for an empty set of keys, so the Null check makes the key a requirement.
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['drift-alert#prod', 'drift-cache#prod#*'] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      },
    ]);
    expect(State.recordActions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']),
    );
    expect(State.recordActions).not.toContain('dynamodb:Scan');
  });

  it("refuses a key pattern whose kind of item is not literal, since it could match other functions' items", () => {
    const stack = constructTestStack();
    const state = new State(stack, 'State');
    const role = new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    for (const pattern of ['*', '*#*', '*.image-updater#*', 'drift-*#prod', 'resources']) {
      expect(() => state.grantRecordAccess(role, ['webhook-delivery#*', pattern])).toThrow(
        `State: key pattern '${pattern}' does not begin with the kind of item it names, so it could match other functions' items. Begin it with the literal prefix, such as 'webhook-delivery#*'`,
      );
    }
  });

  it('grants nothing for no keys', () => {
    const stack = constructTestStack();
    const state = new State(stack, 'State');
    state.grantRecordAccess(new Role(stack, 'Reader', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }), []);
    expect(Template.fromStack(stack).findResources('AWS::IAM::Policy')).toEqual({});
  });
});
