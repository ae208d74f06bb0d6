import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Alerts } from './alerts';
import { constructTestStack, exampleConfig, fixtureEntry } from './fixtures/deployment-config';
import { Observability, powertoolsCount } from './observability';
import { State } from './state';
import { SyncQueue } from './sync-queue';
import { TidemarkFunction } from './tidemark-function';

function observed() {
  const stack = constructTestStack();
  const state = new State(stack, 'State');
  const fn = (id: string, serviceName: string) =>
    new TidemarkFunction(stack, id, {
      entry: fixtureEntry,
      serviceName,
      description: id,
      config: exampleConfig(),
      state,
      stateKeys: [],
    });
  const updater = fn('Updater', 'image-updater');
  const scanner = fn('Scanner', 'drift-scanner');
  const sync = new SyncQueue(stack, 'Sync', { clusterName: 'dev' });
  new Observability(stack, 'Observability', {
    alerts: new Alerts(stack, 'Alerts'),
    functions: [updater, scanner],
    driftScanner: scanner,
    handledFailures: ['dev', 'prod'].map((cluster) => ({
      id: `DriftScanFailed-${cluster}`,
      metric: powertoolsCount('drift-scanner', 'ScanErrors', { cluster }),
      description: `scan of ${cluster} failed`,
    })),
    queues: [{ name: 'sync-dev', queue: sync.queue, deadLetterQueue: sync.deadLetterQueue }],
  });
  return { stack, sync, template: Template.fromStack(stack) };
}

const toAlerts = { AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertsTopic') }] };

describe('Observability', () => {
  it('alarms on the first message in a dead-letter queue', () => {
    const { stack, sync, template } = observed();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...toAlerts,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [stack.getLogicalId(sync.deadLetterQueue.node.defaultChild as never), 'QueueName'] },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on function errors, on each failure a handler counts instead of throwing, and on a drift scan that stopped', () => {
    const { template } = observed();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    const errorAlarms = alarms.filter((a) => a.Properties.MetricName === 'Errors');
    // image-updater's errors, and the drift scan failure.
    expect(errorAlarms).toHaveLength(2);
    for (const cluster of ['dev', 'prod']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...toAlerts,
        Namespace: 'Tidemark',
        MetricName: 'ScanErrors',
        Dimensions: Match.arrayEquals([
          { Name: 'cluster', Value: cluster },
          { Name: 'service', Value: 'drift-scanner' },
        ]),
        Statistic: 'Sum',
        Threshold: 1,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...toAlerts,
      MetricName: 'Invocations',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      Period: 3600,
      TreatMissingData: 'breaching',
    });
    for (const a of alarms)
      expect(a.Properties.AlarmActions).toEqual(toAlerts.AlarmActions.map(() => expect.anything()));
  });

  it("has a dashboard with each function's Powertools metrics, found by namespace and service", () => {
    const { stack, template } = observed();
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(stack.resolve(dashboard!.Properties.DashboardBody));
    expect(body).toContain(`SEARCH('{Tidemark,service} service=\\\\\\"drift-scanner\\\\\\"', 'Sum', 300)`);
    expect(body).toContain('Dead-letter queue depth');
  });
});
