import type { DeploymentConfig } from '../../core/config/deployment-config';
import type { ConfigRepo } from './config-repo';
import { gitCredentialsOf, parseConfigRepoSecret } from './credentials';
import { GitConfigRepo } from './git';
import { GitHubConfigRepo } from './github';

/**
 * Builds the {@link ConfigRepo} that the deployment config names, with the credentials from its secret (parsed by
 * credentials.ts) handed to the provider; they are never logged or put in a URL.
 */
export async function openConfigRepo(
  settings: DeploymentConfig['configRepo'],
  secretValue: unknown,
): Promise<ConfigRepo> {
  const credentials = parseConfigRepoSecret(settings, secretValue);
  if (settings.provider === 'github') {
    return new GitHubConfigRepo({ url: settings.url, branch: settings.branch, credentials });
  }
  // A plain git server: the token as a git password (App credentials were refused for this provider above).
  const git = await gitCredentialsOf(credentials, settings)();
  return GitConfigRepo.open({ url: settings.url, branch: settings.branch, credentials: git });
}
