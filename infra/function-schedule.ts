import { type Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';

export interface FunctionScheduleProps {
  /** The function to invoke (asynchronously). */
  readonly function: IFunction;
  /** EventBridge Scheduler expression, e.g. `rate(15 minutes)`; from the validated config. */
  readonly expression: string;
  /** `detail-type` of the EventBridge-shaped event the function receives; it tells a scheduled run apart. */
  readonly detailType: string;
  /** Shown on the schedule in the console. */
  readonly description: string;
  /**
   * How long an invocation may wait for the function before it is dropped. The next run re-does the work anyway,
   * so nothing is retried.
   */
  readonly maxEventAge: Duration;
}

/**
 * An EventBridge Scheduler schedule that invokes one function with a fixed event, through a role of its own that
 * may invoke only that function.
 */
export class FunctionSchedule extends Construct {
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: FunctionScheduleProps) {
    super(scope, id);
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: props.description,
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: props.description,
      schedule: ScheduleExpression.expression(props.expression),
      target: new LambdaInvoke(props.function, {
        role,
        input: scheduledEvent(Stack.of(this), props.detailType),
        retryAttempts: 0,
        maxEventAge: props.maxEventAge,
      }),
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${props.function.stack.getLogicalId(props.function.node.defaultChild as never)}.Arn>:*]`,
      reason:
        "LambdaInvoke grants invoke on the function's versions too (ARN:*); they are versions of this one function.",
    });
  }
}

/**
 * What a scheduled function receives: an EventBridge event envelope (the shape Powertools' `EventBridgeSchema`
 * parses) with source `aws.scheduler`, filled in by Scheduler's context attributes at each run. Scheduler itself sends
 * only the input it is given, so the envelope is written here.
 */
export function scheduledEvent(stack: Stack, detailType: string): ScheduleTargetInput {
  return ScheduleTargetInput.fromObject({
    version: '0',
    id: ContextAttribute.executionId,
    'detail-type': detailType,
    source: 'aws.scheduler',
    account: stack.account,
    time: ContextAttribute.scheduledTime,
    region: stack.region,
    resources: [ContextAttribute.scheduleArn],
    detail: {},
  });
}
