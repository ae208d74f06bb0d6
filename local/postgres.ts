import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { LocalEnvironment, LocalProcess } from './environment';
import { freePort, isRunning, sleep, startDetached, waitUntil } from './processes';

/** How `tidemark local up` reaches its PostgreSQL server. */
export interface LocalPostgres {
  host: string;
  port: number;
  /** The superuser initdb created; the reconcilers connect as it through the admin secret. */
  adminUser: string;
  adminPassword: string;
  /** Secrets Manager (moto) secret `{"username", "password"}` holding the admin credentials, as in AWS. */
  adminSecretName: string;
  /** `postgres://user:password@127.0.0.1:port/postgres`, exported by `tidemark local env`. */
  url: string;
}

export const postgresCommandHint = 'postgres';

/**
 * Starts a PostgreSQL server of the environment's own: Debian's binaries (local/postgres/install.sh installs them when
 * missing), a data folder under the state folder, a free port on 127.0.0.1, SCRAM authentication with a generated
 * password, and no Unix socket outside the data folder. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user the package created. Every statement is logged (`log_statement = all`) to postgres.log, so the
 * tests can check that no password reaches the server's log.
 */
export async function startPostgres(
  projectRoot: string,
  stateDir: string,
  register: (p: LocalProcess) => void,
): Promise<LocalPostgres> {
  const bin = execFileSync('bash', [join(projectRoot, 'local/postgres/install.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .toString()
    .trim()
    .split('\n')
    .pop()!;
  const dir = join(stateDir, 'postgres');
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const identity = serverIdentity();
  const adminUser = 'tidemark';
  const adminPassword = randomBytes(16).toString('hex');
  const passwordFile = join(dir, 'admin-password');
  writeFileSync(passwordFile, adminPassword, { mode: 0o600 });
  if (identity) {
    chownSync(dir, identity.uid, identity.gid);
    chownSync(passwordFile, identity.uid, identity.gid);
    assertReachable(dir, identity);
  }
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', adminUser, '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-sync'],
    { stdio: 'pipe', ...(identity ?? {}) },
  );
  const port = await freePort();
  const log = join(stateDir, 'postgres.log');
  writeFileSync(log, '');
  if (identity) chownSync(log, identity.uid, identity.gid);
  const process = startDetached(
    'postgres',
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'log_statement=all',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ],
    log,
    globalThis.process.env,
    identity,
  );
  register(process);
  const url = `postgres://${adminUser}:${adminPassword}@127.0.0.1:${port}/postgres`;
  const server = { host: '127.0.0.1', port, adminUser, adminPassword, adminSecretName: 'tidemark/postgres-admin', url };
  await waitUntil('postgres', () => postgresReady(server), {
    timeoutMs: 60_000,
    process,
    commandHint: postgresCommandHint,
  });
  return server;
}

/** Stores the admin credentials in Secrets Manager, where the PostgreSQL reconciler reads them in AWS too. */
export async function putPostgresAdminSecret(aws: LocalEnvironment['aws'], server: LocalPostgres): Promise<void> {
  const secrets = new SecretsManagerClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  });
  try {
    await secrets.send(
      new CreateSecretCommand({
        Name: server.adminSecretName,
        SecretString: JSON.stringify({ username: server.adminUser, password: server.adminPassword }),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ResourceExistsException') throw error;
  }
}

/** True when the server accepts a login and answers a query. */
export async function postgresReady(server: Pick<LocalPostgres, 'url'>): Promise<boolean> {
  const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Stops the server with a fast shutdown (SIGINT: open sessions are ended, not waited for, unlike SIGTERM's smart
 * shutdown, which a left-over connection would hold for ever), by its process id.
 */
export async function stopPostgres(p: LocalProcess): Promise<void> {
  if (!isRunning(p, postgresCommandHint)) return;
  try {
    process.kill(p.pid, 'SIGINT');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && isRunning(p, postgresCommandHint); i++) await sleep(100);
}

/** As root, the `postgres` user's ids (PostgreSQL will not run as root); otherwise the caller's own, so undefined. */
/**
 * As root the server runs as `postgres`, which needs to search every folder above its data folder. A state folder
 * under a private temporary folder (mode 0700, as mkdtemp makes) fails inside initdb with only "Permission denied";
 * say which folder and what to do instead.
 */
function assertReachable(dir: string, identity: { uid: number; gid: number }): void {
  try {
    execFileSync('test', ['-r', join(dir, 'admin-password')], { stdio: 'ignore', ...identity });
  } catch {
    throw new Error(
      `PostgreSQL runs as the postgres user, which cannot reach ${dir}: a folder above it is private to root. ` +
        'Make the folders above it searchable (chmod o+x), or put the local environment elsewhere (TIDEMARK_LOCAL_DIR)',
    );
  }
}

function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: 'pipe' }).toString().trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new Error(
      'PostgreSQL refuses to run as root, and there is no postgres user to run it as. Install the postgresql package (it creates one)',
      { cause: error },
    );
  }
}
