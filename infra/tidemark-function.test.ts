import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { State } from './state';
import { TidemarkFunction, type TidemarkFunctionProps } from './tidemark-function';

function fn(overrides: Partial<TidemarkFunctionProps> = {}) {
  const stack = constructTestStack();
  const f = new TidemarkFunction(stack, 'Fn', {
    entry: fixtureEntry,
    serviceName: 'probe',
    description: 'probe',
    config: exampleConfig(),
    state: new State(stack, 'State'),
    stateKeys: ['probe#*'],
    ...overrides,
  });
  return { stack, f, template: Template.fromStack(stack) };
}

describe('TidemarkFunction', () => {
  it('starts with a role that may write its own logs and use the table, and nothing else', () => {
    const { template } = fn();
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(1);
    expect(roles[0]!.Properties.ManagedPolicyArns).toBeUndefined();
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions.filter((a) => !a.startsWith('dynamodb:'))).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('may touch only the State table items of its stateKeys', () => {
    const { template } = fn({ stateKeys: ['probe#*', 'other#one'] });
    const dynamodb = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb).toEqual([
      {
        Effect: 'Allow',
        Action: State.recordActions,
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StateTable/), 'Arn'] },
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['probe#*', 'other#one'] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        },
      },
    ]);
  });

  it('gets no access to the State table with no stateKeys', () => {
    const { template } = fn({ stateKeys: [] });
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('keeps its logs in a group of its own for three months', () => {
    const { template } = fn();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^FnLogs') } },
    });
  });

  it('sets the Powertools environment: service name, metrics namespace and log level', () => {
    const { template } = fn();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'probe',
          POWERTOOLS_METRICS_NAMESPACE: 'Tidemark',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
  });

  it('names the missing handler file', () => {
    expect(() => fn({ entry: 'functions/nothing/handler.ts' })).toThrow(
      "Fn: entry 'functions/nothing/handler.ts' does not exist in",
    );
  });

  it('refuses memory Lambda cannot give, and reserved concurrency of zero', () => {
    expect(() => fn({ memorySize: 64 })).toThrow(
      'Fn: memorySize must be a whole number of MB from 128 to 10240, but 64 was given',
    );
    expect(() => fn({ reservedConcurrentExecutions: 0 })).toThrow(
      'Fn: reservedConcurrentExecutions must be 1 or more, but 0 was given',
    );
  });
});
