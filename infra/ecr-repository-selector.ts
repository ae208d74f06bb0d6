import { type Stack, Token } from 'aws-cdk-lib';
import { ConfigError } from '../core/config/config-error';
import {
  ecrRegistryPrefixPattern,
  ecrRepositoryArnPattern,
  ecrRepositoryNamePattern,
} from '../core/config/deployment-config';

/**
 * One entry of `images.ecrRepositories`: a repository name (`web`, `team/api`), a name prefix (`team/*`), or a
 * repository ARN (for a repository whose events reach this account's default bus). Turned into the two places that
 * narrow what the image updater sees: the EventBridge pattern and the `ecr:DescribeImages` grant.
 */
export interface EcrRepositorySelector {
  /** Repository name, or the prefix when `prefix` is set. */
  readonly name: string;
  readonly prefix: boolean;
  /** Set when given as an ARN. */
  readonly arn?: string;
}

/** Reads one entry; throws a {@link ConfigError} that names the entry and the accepted forms. */
export function parseEcrRepositorySelector(entry: string, key: string): EcrRepositorySelector {
  const arn = ecrRepositoryArnPattern.exec(entry);
  const name = arn ? arn[1]! : entry;
  const uri = ecrRegistryPrefixPattern.test(entry);
  if (uri || !ecrRepositoryNamePattern.test(name)) {
    const hint = uri ? ` (that is an image URI; its repository is '${entry.split('/').slice(1).join('/')}')` : '';
    throw new ConfigError(
      key,
      `'${entry}' is not an ECR repository name, prefix or ARN${hint}`,
      "Write a name such as 'web', a prefix such as 'team/*', or an ARN such as 'arn:aws:ecr:us-east-1:123456789012:repository/web'",
    );
  }
  const prefix = name.endsWith('*');
  return { name: prefix ? name.slice(0, -1) : name, prefix, arn: arn ? entry : undefined };
}

/** The `repository-name` values of an EventBridge pattern. */
export function eventPatternValues(selectors: readonly EcrRepositorySelector[]): (string | { prefix: string })[] {
  return selectors.map((s) => (s.prefix ? { prefix: s.name } : s.name));
}

/** Repository ARNs for IAM, in the stack's account and region unless given as an ARN. */
export function repositoryArns(selectors: readonly EcrRepositorySelector[], stack: Stack): string[] {
  return selectors.map((s) => {
    if (s.arn !== undefined) return s.arn; // a prefix ARN already ends in '*'
    const arn = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: s.name });
    return s.prefix ? `${arn}*` : arn;
  });
}

/** Whether an ARN's region is one this stack can see events from, when both are known at synth time. */
export function isOtherRegion(selector: EcrRepositorySelector, stack: Stack): boolean {
  if (selector.arn === undefined || Token.isUnresolved(stack.region)) return false;
  return selector.arn.split(':')[3] !== stack.region;
}
