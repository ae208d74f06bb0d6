import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import type { LocalProcess } from './environment';
import { freePort, startDetached } from './processes';

/** How to reach the local OCI registry: `host` is `127.0.0.1:PORT`, so a chart is `oci://${host}/charts/<name>`. */
export interface LocalRegistry {
  host: string;
  username: string;
  password: string;
}

/** The command line of the registry contains this; `down` checks it before it signals a pid. */
export const registryCommandHint = 'bin/registry';

/**
 * Starts CNCF distribution's registry on 127.0.0.1 with a free port, basic auth (htpasswd, bcrypt as distribution
 * requires) and its storage under `dir`; wait for {@link registryReady} before using it. Plain HTTP, since it is
 * on loopback only: Helm talks to it with `--plain-http`, which the renderer allows for loopback hosts and nowhere
 * else. Why a real registry and not a folder of chart archives: OCI pulls with auth, tags and digests are what ECR
 * serves, and the agent must be tested against that protocol.
 */
export async function launchRegistry(
  binary: string,
  dir: string,
): Promise<{ registry: LocalRegistry; process: LocalProcess }> {
  const root = join(dir, 'registry');
  mkdirSync(join(root, 'data'), { recursive: true });
  const port = await freePort();
  const registry = { host: `127.0.0.1:${port}`, username: 'tidemark', password: randomBytes(12).toString('hex') };
  // bcryptjs and not the registry's own provisioning: distribution creates a missing htpasswd file itself, but with a
  // random password it only prints to its log.
  writeFileSync(join(root, 'htpasswd'), `${registry.username}:${bcrypt.hashSync(registry.password, 10)}\n`, {
    mode: 0o600,
  });
  const config = {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(root, 'data') }, delete: { enabled: true } },
    http: { addr: registry.host, secret: randomBytes(16).toString('hex') },
    auth: { htpasswd: { realm: 'tidemark-local', path: join(root, 'htpasswd') } },
  };
  // JSON is YAML: the registry reads this file as its YAML configuration.
  writeFileSync(join(root, 'config.yml'), JSON.stringify(config, null, 2));
  const child = startDetached('registry', binary, ['serve', join(root, 'config.yml')], join(dir, 'registry.log'), {
    ...process.env,
    // The registry's OpenTelemetry exporter is on by default and would try to reach a collector.
    OTEL_TRACES_EXPORTER: 'none',
  });
  return { registry, process: child };
}

/** True when the registry answers `/v2/` with the credentials (200), not just that something listens (401). */
export async function registryReady(registry: LocalRegistry): Promise<boolean> {
  const response = await fetch(`http://${registry.host}/v2/`, {
    headers: { authorization: basicAuth(registry) },
    signal: AbortSignal.timeout(3_000),
  });
  return response.ok;
}

export function basicAuth(registry: Pick<LocalRegistry, 'username' | 'password'>): string {
  return `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
}
