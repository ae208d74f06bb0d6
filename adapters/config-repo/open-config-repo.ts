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

/**
 * The config repo, opened on first use and then kept for the life of the Lambda container (its clients, git cache and
 * secret). A failed open is not kept: a missing or malformed secret may be fixed, so the next event tries again.
 *
 * @example
 * const configRepo = configRepoOnDemand(env.config.configRepo, () => secrets.get(name, { maxAge: 300 }));
 * const repo = await configRepo();
 */
export function configRepoOnDemand(
  settings: DeploymentConfig['configRepo'],
  secretValue: () => Promise<unknown>,
): () => Promise<ConfigRepo> {
  let opened: Promise<ConfigRepo> | undefined;
  return () => {
    opened ??= secretValue().then((value) => openConfigRepo(settings, value));
    return opened.catch((e) => {
      opened = undefined;
      throw e;
    });
  };
}
