import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AgentInstallOutput } from '../../infra/agent-install-output';

export interface StackOutputQuery {
  /** The deployed stack (cdk.json's `stackName`, `Tidemark` unless changed). */
  stackName: string;
  /** Tidemark's name of the cluster. */
  cluster: string;
  /** The stack's region: the clusters' region in tidemark.config.yaml. */
  region: string;
}

/**
 * Reads what the deployed stack says a cluster's install needs (its `AgentInstall…` output) with CloudFormation's
 * DescribeStacks, using the caller's AWS credentials (and AWS_ENDPOINT_URL, which points it at moto locally).
 * @throws Error naming the stack, the region and what to do: deploy, name the right stack, or add the cluster.
 */
export async function readInstallOutput(
  query: StackOutputQuery,
  cfn = new CloudFormationClient({ region: query.region }),
): Promise<AgentInstallOutput> {
  const where = `stack ${query.stackName} in ${query.region}`;
  let outputs: { OutputKey?: string; OutputValue?: string }[];
  try {
    const described = await cfn.send(new DescribeStacksCommand({ StackName: query.stackName }));
    outputs = described.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    const message = (error as Error).message;
    if (/does not exist/.test(message)) {
      throw new Error(
        `${where} does not exist. Deploy it first (npx cdk deploy), or name the deployed one with --stack-name`,
        { cause: error },
      );
    }
    throw new Error(`reading ${where} failed: ${message}. Check your AWS credentials and region`, { cause: error });
  } finally {
    cfn.destroy();
  }
  const installs = outputs
    .filter((o) => o.OutputKey?.startsWith('AgentInstall') && o.OutputValue)
    .map((o) => AgentInstallOutput.safeParse(JSON.parse(o.OutputValue!)))
    .flatMap((r) => (r.success ? [r.data] : []));
  const install = installs.find((i) => i.cluster === query.cluster);
  if (!install) {
    const known = installs.map((i) => i.cluster);
    throw new Error(
      known.length === 0
        ? `${where} has no install outputs. Deploy it with this version of Tidemark (npx cdk deploy), which adds them`
        : `${where} has no install output for cluster '${query.cluster}' (it has ${known.join(', ')}). Add the cluster to tidemark.config.yaml and deploy, or pick one of those`,
    );
  }
  return install;
}
