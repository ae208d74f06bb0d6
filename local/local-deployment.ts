import { type DeploymentConfig, validateDeploymentConfig } from '../core/config/deployment-config';

/**
 * The deployment config of the local environment: the same schema as tidemark.config.yaml, pointing at the seeded
 * example repo on the local git server and at two clusters, `dev` and `prod`, that are both the local API server
 * (`eksClusterName: local` tells the functions to use the local kubeconfig instead of EKS).
 */
export function localDeploymentConfig(
  exampleRepoUrl: string,
  secrets: { configRepo: string; webhook: string; slack: string },
): DeploymentConfig {
  return validateDeploymentConfig({
    configRepo: { provider: 'git', url: exampleRepoUrl, branch: 'main', authSecretName: secrets.configRepo },
    clusters: [
      { name: 'dev', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/dev' },
      { name: 'prod', eksClusterName: 'local', region: 'us-east-1', path: 'clusters/prod' },
    ],
    images: { ecrRepositories: ['web'] },
    alerts: { snsEmails: [], slackWebhookSecretName: secrets.slack, renotifyHours: 24 },
    webhook: { secretName: secrets.webhook },
  });
}
