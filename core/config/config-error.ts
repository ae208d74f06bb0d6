/**
 * A configuration value that cannot be used. The message names the key, what is wrong with it and how to fix it,
 * so a user can act on it without reading code:
 * "clusters[0].region: 'eu-west' is not an AWS region. Use a region code such as 'eu-west-1'."
 */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    super(`${key}: ${problem}. ${fix}`, options);
    this.name = 'ConfigError';
  }
}
