import { z } from 'zod';
import type { DeploymentConfig } from '../../core/config/deployment-config';
import type { ConfigRepo } from './config-repo';
import { GitConfigRepo } from './git';
import { GitHubConfigRepo } from './github';

/** The config-repo secret's value (Secrets Manager, JSON): a token, with a username for plain git servers. */
const ConfigRepoSecret = z.object({ token: z.string().min(1), username: z.string().min(1).optional() });

/**
 * Builds the {@link ConfigRepo} that the deployment config names, with the credentials from its secret. The secret
 * value is parsed here and handed to the provider; it is never logged or put in a URL.
 */
export async function openConfigRepo(
  settings: DeploymentConfig['configRepo'],
  secretValue: unknown,
): Promise<ConfigRepo> {
  let raw: unknown = secretValue;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      raw = undefined;
    }
  }
  const secret = ConfigRepoSecret.safeParse(raw);
  if (!secret.success) {
    throw new Error(
      `Secret ${settings.authSecretName} is not a config-repo credential. Store JSON such as {"token": "…"} (add "username" for a plain git server); GitHub App credentials are not supported yet`,
    );
  }
  const { token, username } = secret.data;
  if (settings.provider === 'github') {
    return new GitHubConfigRepo({ url: settings.url, branch: settings.branch, token });
  }
  // Git servers accept a token as the password; most ignore the username, GitLab wants any non-empty one.
  return GitConfigRepo.open({
    url: settings.url,
    branch: settings.branch,
    credentials: { username: username ?? 'tidemark', password: token },
  });
}
