import pg from 'pg';
import { type ReconcileContext, z } from '../../sdk';

/** The folder's `settings` for PostgreSQL: the server, and the secrets the reconciler may read. */
export const PostgresSettings = z.strictObject({
  /** The server's address: an RDS endpoint inside the folder's `network`, or `127.0.0.1` locally. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(5432),
  /** The database to connect to for roles and databases (grants inside a database connect to that one). */
  database: z.string().min(1).default('postgres'),
  /** Secrets Manager secret `{"username", "password"}` of the role Tidemark works as (RDS: the master user). */
  adminSecretName: z.string().min(1),
  /**
   * `require`: encrypted, the server's certificate not checked (RDS's CA is not in Node's store); `verify-full`: checked
   * against Node's CAs plus NODE_EXTRA_CA_CERTS (put the RDS CA bundle there); `disable`: plain, for a local server.
   * @default 'require'
   */
  ssl: z.enum(['disable', 'require', 'verify-full']).default('require'),
  /**
   * A role's `passwordSecret` must start with this: the Lambda may read these secrets and no others, so a declaration
   * cannot turn another of your secrets (the Slack webhook, the config repo token) into a database password.
   */
  passwordSecretPrefix: z.string().min(1).default('tidemark/postgres/'),
  /** @default 5 */
  connectTimeoutSeconds: z.number().int().min(1).max(60).default(5),
});
export type PostgresSettings = z.infer<typeof PostgresSettings>;

export type PostgresContext = ReconcileContext<PostgresSettings>;

/**
 * A pool of connections to one database for the run, opened on first use and closed when the run ends. The admin
 * password is read from its secret here and goes to `pg` alone; `pg`'s errors name the user, never the password.
 */
export function poolFor(ctx: PostgresContext, database = ctx.settings.database): Promise<pg.Pool> {
  return ctx.memo(`postgres:pool:${database}`, async () => {
    const { settings } = ctx;
    const [user, password] = await Promise.all([
      ctx.secrets.value(settings.adminSecretName, 'username'),
      ctx.secrets.value(settings.adminSecretName, 'password'),
    ]);
    const pool = new pg.Pool({
      host: settings.host,
      port: settings.port,
      database,
      user,
      password,
      max: 4,
      connectionTimeoutMillis: settings.connectTimeoutSeconds * 1000,
      idleTimeoutMillis: 10_000,
      ssl: settings.ssl === 'disable' ? false : { rejectUnauthorized: settings.ssl === 'verify-full' },
      application_name: 'tidemark-reconciler',
    });
    // An idle connection the server drops must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    ctx.onDone(() => pool.end());
    // Connect once here, so an unreachable server fails this load (retried with backoff, then for every object at once).
    const client = await pool.connect().catch(async (error: Error) => {
      throw new Error(
        `cannot connect to PostgreSQL at ${settings.host}:${settings.port}/${database}: ${reason(error)}`,
        {
          cause: error,
        },
      );
    });
    client.release();
    return pool;
  });
}

/** Runs `work` in one transaction on one connection: all of it happens, or none. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** `pg`'s reason, with PostgreSQL's detail (which object depends on a role) when it gives one. */
export function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  const e = error as { message?: string; detail?: string; code?: string };
  const message = e.message || e.code || String(error);
  return e.detail ? `${message} (${e.detail})` : message;
}

export const ident = (name: string) => pg.escapeIdentifier(name);
export const literal = (text: string) => pg.escapeLiteral(text);
