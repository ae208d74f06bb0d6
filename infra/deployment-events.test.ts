import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ClusterAccess } from './cluster-access';
import { DeploymentEvents } from './deployment-events';
import { constructTestStack, exampleConfig } from './fixtures/deployment-config';
import { SyncQueue } from './sync-queue';

const [dev, prod] = exampleConfig().clusters;

describe('DeploymentEvents', () => {
  it('is a FIFO queue per cluster, deduplicated by the event id the agent sends, with one FIFO dead-letter queue', () => {
    const stack = constructTestStack();
    const events = new DeploymentEvents(stack, 'Events', { clusterNames: ['dev', 'prod'] });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 3);
    const dlqId = stack.getLogicalId(events.deadLetterQueue.node.defaultChild as never);
    for (const cluster of ['dev', 'prod']) {
      const id = stack.getLogicalId(events.queue(cluster).node.defaultChild as never);
      expect(template.toJSON().Resources[id].Properties).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it("lets a cluster's agent send to its own events queue and to no other", () => {
    const stack = constructTestStack();
    const events = new DeploymentEvents(stack, 'Events', { clusterNames: ['dev', 'prod'] });
    const syncQueue = new SyncQueue(stack, 'SyncQueue', { clusterName: dev!.name });
    new ClusterAccess(stack, 'Cluster', { cluster: dev!, syncQueue, events });
    const own = stack.getLogicalId(events.queue('dev').node.defaultChild as never);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[],
    );
    const sends = statements.filter((s) => [s.Action].flat().includes('sqs:SendMessage'));
    expect(sends).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: { 'Fn::GetAtt': [own, 'Arn'] },
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain(
      stack.getLogicalId(events.queue(prod!.name).node.defaultChild as never),
    );
  });

  it('refuses a cluster it has no queue for, naming the ones it has', () => {
    const events = new DeploymentEvents(constructTestStack(), 'Events', { clusterNames: ['dev'] });
    expect(() => events.queue('qa')).toThrow(
      "No events queue for cluster 'qa'. Add it to clusters in tidemark.config.yaml (known: dev)",
    );
  });
});
