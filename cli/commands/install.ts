import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import {
  type ConfigRepoCredentials,
  gitCredentialsOf,
  parseConfigRepoSecret,
} from '../../adapters/config-repo/credentials';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { installAgent } from '../../agent/install/install-agent';
import { installLabel, installYaml, renderInstall } from '../../agent/install/render-install';
import { readInstallOutput } from '../../agent/install/stack-output';
import { ConfigError } from '../../core/config/config-error';
import type { ClusterConfig, DeploymentConfig } from '../../core/config/deployment-config';
import { parseDeploymentConfig } from '../../core/config/parse-deployment-config';
import type { KubeObject } from '../../core/sync/kube-object';
import { tidemarkVersion } from '../../core/version';

interface InstallCliOptions {
  cluster: string;
  config: string;
  stackName: string;
  export?: boolean;
  kubeconfig?: string;
  gitSecret: string | false;
  image?: string;
  timeout: string;
}

/**
 * `tidemark install --cluster C [--config F] [--export]`: the agent for one cluster, from tidemark.config.yaml and the
 * deployed stack's outputs (DescribeStacks): applied with the user's kubeconfig and waited for until the cluster's
 * Sync is Ready, or printed as YAML with `--export` (like `flux install --export`). Exit 0 ok, 1 failed.
 */
export function register(program: Command): void {
  program
    .command('install')
    .description(
      "install the agent for a cluster from tidemark.config.yaml and the stack's outputs, and wait until it syncs",
    )
    .requiredOption('--cluster <name>', "the cluster's name in tidemark.config.yaml (clusters[].name)")
    .option('--config <file>', 'the deployment config', 'tidemark.config.yaml')
    .option('--stack-name <name>', 'the deployed CDK stack (cdk.json stackName)', 'Tidemark')
    .option('--export', 'print the YAML instead of applying it (no Secret values in it)')
    .option('--kubeconfig <path>', 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config)')
    .option(
      '--git-secret <name>',
      "Secret in the agent's namespace with the config repo's username and password; when missing, install creates it from the configRepo.authSecretName secret in Secrets Manager",
      'tidemark-config-repo',
    )
    .option('--no-git-secret', 'the config repo is public: the Sync names no credentials')
    .option('--image <ref>', "run this image instead of the stack's (a mirror, a build of your own)")
    .option('--timeout <seconds>', 'how long to wait for the agent and the first Sync to be Ready', '300')
    .action(async (options: InstallCliOptions) => {
      process.exitCode = await install(options, (line) => console.error(line));
    });
}

async function install(options: InstallCliOptions, say: (line: string) => void): Promise<number> {
  let config: DeploymentConfig;
  let cluster: ClusterConfig;
  try {
    config = parseDeploymentConfig(readConfig(options.config), options.config);
    cluster = clusterOf(config, options.cluster, options.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`tidemark install: ${error.message}`);
    return 1;
  }
  try {
    const output = await readInstallOutput({
      stackName: options.stackName,
      cluster: cluster.name,
      region: cluster.region,
    });
    const gitSecretName = options.gitSecret || undefined;
    const objects = await renderInstall({
      cluster,
      configRepo: { url: config.configRepo.url, branch: config.configRepo.branch },
      image: options.image ?? output.image,
      syncQueueUrl: output.syncQueueUrl,
      ...(output.eventsQueueUrl ? { eventsQueueUrl: output.eventsQueueUrl } : {}),
      gitSecretName,
    });
    if (options.export) {
      process.stdout.write(
        installYaml(objects, [
          `Tidemark ${tidemarkVersion} agent for cluster '${cluster.name}' (${options.config}, stack ${options.stackName}).`,
          `Apply with: kubectl apply --server-side -f FILE (the Sync at the end needs the CRD at the top: if kubectl`,
          `reports "no matches for kind Sync", run it once more).`,
          ...(gitSecretName
            ? [
                `The Sync reads the config repo's credentials from Secret ${cluster.agentNamespace}/${gitSecretName}, not included here:`,
                `  kubectl -n ${cluster.agentNamespace} create secret generic ${gitSecretName} --from-literal=username=USER --from-literal=password=TOKEN`,
              ]
            : []),
          `Role of the agent (EKS Pod Identity, associated by the stack): ${output.agentRoleArn}`,
        ]),
      );
      return 0;
    }

    const kube = ClusterClient.fromKubeconfig(options.kubeconfig);
    try {
      say(`tidemark install: the agent for cluster '${cluster.name}' in namespace ${cluster.agentNamespace}`);
      say(`  image ${options.image ?? output.image}, sync queue ${output.syncQueueUrl}`);
      const secret = gitSecretName ? await gitSecretFor(kube, config, cluster, gitSecretName, say) : undefined;
      const outcome = await installAgent(kube, secret ? [...objects, secret] : objects, {
        clusterName: cluster.name,
        say,
        timeoutMs: Number(options.timeout) * 1000,
      });
      if (outcome.kind === 'failed') {
        console.error(`tidemark install: ${outcome.step} failed: ${outcome.message}`);
        return 1;
      }
      say(
        `✔ Sync ${outcome.sync} Ready at ${outcome.revision.slice(0, 12)}: the agent runs and applies ${cluster.path}`,
      );
      return 0;
    } finally {
      kube.close();
    }
  } catch (error) {
    console.error(`tidemark install: ${(error as Error).message}`);
    return 1;
  }
}

function readConfig(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, `cannot be read (${(error as NodeJS.ErrnoException).code})`, 'Pass --config FILE', {
      cause: error,
    });
  }
}

export function clusterOf(config: DeploymentConfig, name: string, source: string): ClusterConfig {
  const cluster = config.clusters.find((c) => c.name === name);
  if (!cluster) {
    throw new ConfigError(
      `${source}: clusters`,
      `has no cluster named '${name}'`,
      `Use one of ${config.clusters.map((c) => `'${c.name}'`).join(', ')}`,
    );
  }
  return cluster;
}

/**
 * The git credentials Secret the Sync names, when the cluster lacks it: made from the config repo's Secrets Manager
 * secret, read by the one parser the Lambdas use (adapters/config-repo/credentials.ts), so a secret the image updater
 * accepts is the one install accepts, with the same username. An existing Secret is left as it is; a GitHub App
 * secret yields only hour-long installation tokens, which a Secret cannot hold, so the error says how to make one.
 * The value is never printed.
 */
async function gitSecretFor(
  kube: ClusterClient,
  config: DeploymentConfig,
  cluster: ClusterConfig,
  name: string,
  say: (line: string) => void,
): Promise<KubeObject | undefined> {
  const existing = await kube
    .get({ apiVersion: 'v1', kind: 'Secret', namespace: cluster.agentNamespace, name })
    .catch(() => undefined);
  if (existing) {
    say(`  git credentials: Secret ${cluster.agentNamespace}/${name} (exists)`);
    return undefined;
  }
  const secretId = config.configRepo.authSecretName;
  const fix = `create it: kubectl -n ${cluster.agentNamespace} create secret generic ${name} --from-literal=username=USER --from-literal=password=TOKEN, or pass --no-git-secret for a public repo`;
  let credentials: ConfigRepoCredentials;
  try {
    const out = await new SecretsManagerClient({ region: cluster.region }).send(
      new GetSecretValueCommand({ SecretId: secretId }),
    );
    credentials = parseConfigRepoSecret(config.configRepo, out.SecretString);
  } catch (error) {
    throw new Error(
      `Secret ${cluster.agentNamespace}/${name} is missing and ${secretId} could not be read from Secrets Manager (${(error as Error).message}); ${fix}`,
      { cause: error },
    );
  }
  if (!('token' in credentials)) {
    throw new Error(
      `Secret ${cluster.agentNamespace}/${name} is missing and ${secretId} holds a GitHub App, whose key is not a git password; ${fix}`,
    );
  }
  const { username, password } = await gitCredentialsOf(credentials, config.configRepo)();
  say(`  git credentials: Secret ${cluster.agentNamespace}/${name}, from Secrets Manager ${secretId}`);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: cluster.agentNamespace, labels: { [installLabel]: cluster.name } },
    type: 'Opaque',
    stringData: { username, password },
  } as KubeObject;
}
