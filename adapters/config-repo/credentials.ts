import type { DeploymentConfig } from '../../core/config/deployment-config';
import * as z from '../../core/zod';
import type { GitCredentials } from '../git/run-git';

/**
 * The config-repo secret's value (Secrets Manager, JSON): a token (with a username for plain git servers), or for the
 * GitHub provider a GitHub App's id, private key and installation id. The one parser of it: the image updater, the
 * drift scanner and the webhook read their secrets here, so a secret that works for one works for all.
 */
const ConfigRepoSecret = z.union([
  z.object({ token: z.string().check(z.minLength(1)), username: z.optional(z.string().check(z.minLength(1))) }),
  z.object({
    appId: z.pipe(z.coerce.number(), z.int().check(z.positive())),
    privateKey: z.string().check(z.minLength(1)),
    installationId: z.pipe(z.coerce.number(), z.int().check(z.positive())),
  }),
]);
export type ConfigRepoCredentials = z.infer<typeof ConfigRepoSecret>;

type ConfigRepoSettings = Pick<DeploymentConfig['configRepo'], 'provider' | 'url' | 'authSecretName'>;

/**
 * The credentials in the config-repo secret, checked against the provider. The value is never echoed in an error: the
 * message names the secret and the shape it should have.
 *
 * @example
 * const credentials = parseConfigRepoSecret(config.configRepo, await secrets.get(config.configRepo.authSecretName));
 */
export function parseConfigRepoSecret(settings: ConfigRepoSettings, secretValue: unknown): ConfigRepoCredentials {
  const secret = ConfigRepoSecret.safeParse(jsonOf(secretValue));
  if (!secret.success) {
    throw new Error(
      `Secret ${settings.authSecretName} is not a config-repo credential. Store JSON such as {"token": "…"} (add "username" for a plain git server), or {"appId", "privateKey", "installationId"} for a GitHub App`,
    );
  }
  if (settings.provider === 'git' && !('token' in secret.data)) {
    throw new Error(
      `Secret ${settings.authSecretName} holds GitHub App credentials, but configRepo.provider is git. Store {"token", "username"} for a git server, or set provider: github`,
    );
  }
  return secret.data;
}

/**
 * Username and password for git over smart HTTP, as a function to call before each fetch: a token is used as it is;
 * a GitHub App's installation token is minted from the app key and renewed by `@octokit/auth-app` before it expires
 * (it lasts an hour), so a long-lived Lambda container never fetches with an expired one.
 *
 * GitHub takes a token as the password of `x-access-token`; other servers take it as the password of any non-empty
 * username (GitLab insists on one), `tidemark` unless the secret names one.
 */
export function gitCredentialsOf(
  credentials: ConfigRepoCredentials,
  settings: Pick<ConfigRepoSettings, 'provider' | 'url'>,
): () => Promise<GitCredentials> {
  if ('token' in credentials) {
    const fixed = {
      username: credentials.username ?? (settings.provider === 'github' ? 'x-access-token' : 'tidemark'),
      password: credentials.token,
    };
    return async () => fixed;
  }
  // Imported on first use: only a GitHub App secret needs the JWT signing and token cache.
  const auth = (async () => {
    const [{ createAppAuth }, { request }] = await Promise.all([
      import('@octokit/auth-app'),
      import('@octokit/request'),
    ]);
    return createAppAuth({ ...credentials, request: request.defaults({ baseUrl: gitHubApiUrl(settings.url) }) });
  })();
  return async () => {
    const { token } = await (await auth)({ type: 'installation' });
    return { username: 'x-access-token', password: token };
  };
}

/**
 * The webhook's shared secret (GitHub's `X-Hub-Signature-256` key or GitLab's token), stored as plain text.
 * @throws naming the secret when it holds no text.
 */
export function parseWebhookSecret(secretName: string, secretValue: unknown): string {
  if (typeof secretValue !== 'string' || secretValue.length === 0) {
    throw new Error(`Secret ${secretName} has no string value. Store the webhook secret as text`);
  }
  return secretValue;
}

/** GitHub's REST API root for a clone URL: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise. */
export function gitHubApiUrl(cloneUrl: string): string {
  const u = new URL(cloneUrl);
  return u.host === 'github.com' ? 'https://api.github.com' : `${u.origin}/api/v3`;
}

/** Secrets Manager returns text; Powertools' `transform: 'json'` an object. Either is accepted. */
function jsonOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
