import { z } from 'zod';

/**
 * What `tidemark install --cluster C` needs from the deployed stack for one cluster, carried by one stack output per
 * cluster (CloudFormation `DescribeStacks` returns it; the local environment writes the same output in moto).
 * One output holding JSON rather than one output per field: output keys are alphanumeric, so a cluster's name could
 * not be read back from a key, and one object per cluster cannot be half-read.
 */
export const AgentInstallOutput = z.object({
  /** Tidemark's name of the cluster (`clusters[].name`). */
  cluster: z.string().min(1),
  /** The agent's `--sync-queue-url`. */
  syncQueueUrl: z.string().url(),
  /** The agent's `--events-queue-url`: where it reports deployment events (absent from stacks deployed before them). */
  eventsQueueUrl: z.string().url().optional(),
  /** The IAM role EKS Pod Identity gives the agent's ServiceAccount (the stack creates the association). */
  agentRoleArn: z.string().min(1),
  /** The agent image the stack was deployed with (`agentImage` in tidemark.config.yaml). */
  image: z.string().min(1),
});
export type AgentInstallOutput = z.infer<typeof AgentInstallOutput>;

/**
 * The output key of a cluster's install output: `AgentInstall` and the name in PascalCase (`prod-eu` →
 * `AgentInstallProdEu`). Readers match on the value's `cluster`, never parse the key; two names that give one key
 * (`a-1`, `a1`) fail the synth with CDK's duplicate-id error.
 */
export function agentInstallOutputKey(clusterName: string): string {
  const pascal = clusterName.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase());
  return `AgentInstall${pascal}`;
}
