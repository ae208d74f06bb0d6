import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { deployedValue } from './fixtures/function-environment';
import { FunctionSchedule } from './function-schedule';
import { State } from './state';
import { TidemarkFunction } from './tidemark-function';

function scheduled() {
  const stack = constructTestStack();
  const fn = new TidemarkFunction(stack, 'Fn', {
    entry: fixtureEntry,
    serviceName: 'test',
    description: 'test',
    config: exampleConfig(),
    state: new State(stack, 'State'),
    stateKeys: [],
  });
  new FunctionSchedule(stack, 'Every', {
    function: fn.function,
    expression: 'cron(0/15 * * * ? *)',
    detailType: 'Tidemark Test Run',
    description: 'test schedule',
    maxEventAge: Duration.minutes(2),
  });
  return { stack, template: Template.fromStack(stack) };
}

describe('FunctionSchedule', () => {
  it('sends an event that Powertools parses as EventBridge, once Scheduler fills in its context attributes', () => {
    const { stack, template } = scheduled();
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    const input = deployedValue(stack, schedule!.Properties.Target.Input)
      .replace('<aws.scheduler.execution-id>', 'd32c5kddcf5bb8c3')
      .replace('<aws.scheduler.scheduled-time>', '2022-03-22T18:59:43Z')
      .replace('<aws.scheduler.schedule-arn>', 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/every');
    const event = EventBridgeSchema.parse(JSON.parse(input));
    expect(event).toMatchObject({
      source: 'aws.scheduler',
      'detail-type': 'Tidemark Test Run',
      account: '123456789012',
      region: 'us-east-1',
      resources: ['arn:aws:scheduler:us-east-1:123456789012:schedule/default/every'],
    });
  });

  it('invokes through a role of its own that may invoke only this function', () => {
    const { template } = scheduled();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0/15 * * * ? *)',
      Target: { RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EveryRole'), 'Arn'] } },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('EveryRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/^FnFunction/), 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FnFunction/), 'Arn'] }, ':*']] },
        ],
      },
    ]);
  });
});
