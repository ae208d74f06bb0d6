import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '../../core/resources/reconciler';

/**
 * Secrets Manager for one run: each secret is read once (value and version id together) and kept in memory for the
 * run only, so a rotated password is seen by the next run. The AWS SDK rather than Powertools Parameters, because a
 * reconciler needs the version id (to notice a rotation without comparing values) and Powertools returns values only.
 * Values never leave this object except to the reconciler that asked, and no error message includes one.
 */
export class SecretsManagerReader implements SecretReader {
  private readonly cache = new Map<string, Promise<{ value: string; version: string }>>();

  constructor(private readonly client: SecretsManagerClient = new SecretsManagerClient({})) {}

  async value(name: string, key?: string): Promise<string> {
    const { value } = await this.read(name);
    if (key === undefined) return value;
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      throw new Error(`secret ${name} is not JSON, so it has no key '${key}'. Store {"${key}": "…"} in it`);
    }
    const field = (json as Record<string, unknown> | null)?.[key];
    if (typeof field !== 'string' || field === '') {
      throw new Error(`secret ${name} has no string '${key}'. Store {"${key}": "…"} in it`);
    }
    return field;
  }

  async version(name: string): Promise<string> {
    return (await this.read(name)).version;
  }

  private read(name: string): Promise<{ value: string; version: string }> {
    let read = this.cache.get(name);
    if (!read) {
      read = this.client.send(new GetSecretValueCommand({ SecretId: name })).then((out) => {
        if (typeof out.SecretString !== 'string' || out.SecretString === '') {
          throw new Error(`secret ${name} has no value. Put one in it with aws secretsmanager put-secret-value`);
        }
        return { value: out.SecretString, version: out.VersionId ?? '' };
      });
      read.catch(() => this.cache.delete(name));
      this.cache.set(name, read);
    }
    return read;
  }
}
