import { Stack, Token, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { DeploymentConfig } from '../core/config/deployment-config';
import { type EcrRepositorySelector, parseEcrRepositorySelector, repositoryArns } from './ecr-repository-selector';

/** `charts.ecrRepositories` of the config, read once; a bad entry throws a ConfigError naming it. */
export function chartRepositoriesOf(config: Pick<DeploymentConfig, 'charts'>): EcrRepositorySelector[] {
  return config.charts.ecrRepositories.map((entry, i) =>
    parseEcrRepositorySelector(entry, `charts.ecrRepositories[${i}]`),
  );
}

/**
 * Lets a role pull Helm charts from the ECR repositories of `charts.ecrRepositories`, as `helm pull oci://…` does:
 * a registry token (`ecr:GetAuthorizationToken`), then the chart's manifest (`ecr:BatchGetImage`) and its layers
 * (`ecr:GetDownloadUrlForLayer`), on those repositories only. The agent's Pod Identity role gets it so its renders
 * can pull, and the drift scanner's role so it renders the same chart (the token is asked with the caller's own
 * identity: engine/render/chart-credentials.ts). Nothing is granted when no chart repository is configured.
 */
export function grantChartPull(role: IRole, selectors: readonly EcrRepositorySelector[]): void {
  if (selectors.length === 0) return;
  const stack = Stack.of(role);
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      resources: repositoryArns(selectors, stack),
    }),
  );
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken has no resource-level permissions (IAM requires *); the pulls themselves are limited to the configured chart repositories.',
  });
  for (const selector of selectors.filter((s) => s.prefix)) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${prefixArnText(selector, stack)}]`,
      reason: `charts.ecrRepositories names the prefix '${selector.name}*': pulls are allowed from the repositories under it, as configured.`,
    });
  }
}

/** The ARN as cdk-nag prints it in a finding's id: tokens as `<AWS::Partition>` etc., literal values as they are. */
function prefixArnText(selector: EcrRepositorySelector, stack: Stack): string {
  if (selector.arn !== undefined) return selector.arn;
  const shown = (value: string, token: string) => (Token.isUnresolved(value) ? `<AWS::${token}>` : value);
  return `arn:<AWS::Partition>:ecr:${shown(stack.region, 'Region')}:${shown(stack.account, 'AccountId')}:repository/${selector.name}*`;
}
