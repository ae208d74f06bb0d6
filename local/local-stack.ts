import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { readImageContents } from '../agent/image/image-contents';
import { tidemarkVersion } from '../core/version';
import { type AgentInstallOutput, agentInstallOutputKey } from '../infra/agent-install-output';
import type { LocalEnvironment, LocalResources } from './environment';

/** The name the CDK app gives the stack unless told otherwise (cdk.json's `stackName`). */
export const localStackName = 'Tidemark';

/**
 * A CloudFormation stack in moto with the outputs `tidemark install` reads from the deployed stack: per cluster, its
 * sync queue (the local one), the agent's IAM role (created by this stack, as the CDK stack creates it) and the
 * published agent image of this version. Only those: the Lambda functions, EKS access entries and the rest of the
 * real stack have nothing to run on locally. infra/agent-install-output.ts is the contract both sides write.
 */
export async function createLocalStack(
  aws: LocalEnvironment['aws'],
  resources: Pick<LocalResources, 'syncQueueUrls'> & Partial<Pick<LocalResources, 'eventsQueueUrls'>>,
  stackName = localStackName,
): Promise<void> {
  const cfn = new CloudFormationClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  });
  const image = `${readImageContents().repository}:${tidemarkVersion}`;
  const resourcesOf: Record<string, unknown> = {};
  const outputs: Record<string, unknown> = {};
  for (const [cluster, syncQueueUrl] of Object.entries(resources.syncQueueUrls)) {
    const role = `${agentInstallOutputKey(cluster).replace('AgentInstall', 'AgentRole')}`;
    resourcesOf[role] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'pods.eks.amazonaws.com' },
              Action: ['sts:AssumeRole', 'sts:TagSession'],
            },
          ],
        },
      },
    };
    // The same JSON the CDK stack writes (Stack.toJsonString), with the role's ARN filled in by CloudFormation.
    const eventsQueueUrl = resources.eventsQueueUrls?.[cluster];
    const install: AgentInstallOutput = {
      cluster,
      syncQueueUrl,
      ...(eventsQueueUrl ? { eventsQueueUrl } : {}),
      agentRoleArn: `\${${role}.Arn}`,
      image,
    };
    outputs[agentInstallOutputKey(cluster)] = {
      Value: { 'Fn::Sub': JSON.stringify(install) },
      Description: `What 'tidemark install --cluster ${cluster}' deploys: sync queue, agent role, image`,
    };
  }
  const existing = await cfn.send(new DescribeStacksCommand({ StackName: stackName })).catch(() => undefined);
  if (existing?.Stacks?.length) await cfn.send(new DeleteStackCommand({ StackName: stackName }));
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify({ Resources: resourcesOf, Outputs: outputs }),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  await waitUntilStackCreateComplete(
    { client: cfn, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
    { StackName: stackName },
  );
  cfn.destroy();
}
