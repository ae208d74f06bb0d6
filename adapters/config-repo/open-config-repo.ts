import { z } from 'zod';
import type { DeploymentConfig } from '../../core/config/deployment-config';
import type { ConfigRepo } from './config-repo';
import { GitConfigRepo } from './git';
import { GitHubConfigRepo } from './github';

/**
 * The config-repo secret's value (Secrets Manager, JSON): a token (with a username for plain git servers), or for the
 * GitHub provider a GitHub App's id, private key and installation id.
 */
const ConfigRepoSecret = z.union([
  z.object({ token: z.string().min(1), username: z.string().min(1).optional() }),
  z.object({
    appId: z.coerce.number().int().positive(),
    privateKey: z.string().min(1),
    installationId: z.coerce.number().int().positive(),
  }),
]);

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
      `Secret ${settings.authSecretName} is not a config-repo credential. Store JSON such as {"token": "…"} (add "username" for a plain git server), or {"appId", "privateKey", "installationId"} for a GitHub App`,
    );
  }
  const credentials = secret.data;
  if (settings.provider === 'github') {
    return new GitHubConfigRepo({ url: settings.url, branch: settings.branch, credentials });
  }
  if (!('token' in credentials)) {
    throw new Error(
      `Secret ${settings.authSecretName} holds GitHub App credentials, but configRepo.provider is git. Store {"token", "username"} for a git server, or set provider: github`,
    );
  }
  // Git servers accept a token as the password; most ignore the username, GitLab wants any non-empty one.
  return GitConfigRepo.open({
    url: settings.url,
    branch: settings.branch,
    credentials: { username: credentials.username ?? 'tidemark', password: credentials.token },
  });
}
