import type pg from 'pg';
import { defineReconciler, diffFields, type FieldChange, type Observed, PermanentError, z } from '../../sdk';
import { databaseGrants, databases, passwordVerifiers, roles } from './catalog';
import { ident, inTransaction, literal, type PostgresContext, PostgresSettings, poolFor, reason } from './connection';
import { commentOf, parseComment } from './ownership-comment';
import { scramVerifier, verifierMatches } from './scram';

/** Lower-case SQL identifiers only: no quoting surprises, and the same name in Git, in `\du` and in messages. */
export const sqlName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL name of at most 63 characters, such as 'app_reader'");

const databasePrivileges = ['CONNECT', 'CREATE', 'TEMPORARY'] as const;
const schemaPrivileges = ['USAGE', 'CREATE'] as const;
const tablePrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;

/**
 * A grant: on a database (`privileges` of CONNECT, CREATE, TEMPORARY), on a schema in it (USAGE, CREATE), or on all
 * tables of a schema (`tables: all`; SELECT, INSERT, …). Tables created later need the grant again, which the next
 * reconcile or self-heal makes, and the drift scan reports until then.
 */
const Grant = z
  .strictObject({
    database: sqlName,
    schema: sqlName.optional(),
    tables: z.literal('all').optional(),
    privileges: z.array(z.string().transform((p) => p.toUpperCase())).min(1),
  })
  .superRefine((g, ctx) => {
    const allowed: readonly string[] = g.tables ? tablePrivileges : g.schema ? schemaPrivileges : databasePrivileges;
    if (g.tables && !g.schema)
      ctx.addIssue({ code: 'custom', path: ['schema'], message: 'tables: all needs its schema' });
    for (const [i, p] of g.privileges.entries()) {
      if (!allowed.includes(p)) {
        ctx.addIssue({
          code: 'custom',
          path: ['privileges', i],
          message: `'${p}' is not a privilege on ${g.tables ? 'tables' : g.schema ? 'a schema' : 'a database'}. Use ${allowed.join(', ')}`,
        });
      }
    }
  });
type Grant = z.infer<typeof Grant>;

/** `spec` of a `PostgresRole.tidemark.dev/v1alpha1`. */
export const PostgresRoleSpec = z.strictObject({
  name: sqlName.refine((n) => !n.startsWith('pg_'), 'starts with pg_, which PostgreSQL reserves for its own roles'),
  /** A role that logs in (a user) or not (a group). @default true */
  login: z.boolean().default(true),
  /**
   * The Secrets Manager secret with its password (a plain string, or JSON with `key`), under the folder's
   * `passwordSecretPrefix`. The password is set as a SCRAM verifier computed here, so it never reaches SQL or a log.
   */
  passwordSecret: z.strictObject({ name: z.string().min(1), key: z.string().min(1).optional() }).optional(),
  createdb: z.boolean().default(false),
  createrole: z.boolean().default(false),
  inherit: z.boolean().default(true),
  /** -1: no limit. */
  connectionLimit: z.number().int().min(-1).default(-1),
  /** Roles it is a member of (groups). */
  memberOf: z.array(sqlName).default([]),
  grants: z.array(Grant).default([]),
});
export type PostgresRoleSpec = z.infer<typeof PostgresRoleSpec>;

interface RoleState {
  login: boolean;
  createdb: boolean;
  createrole: boolean;
  inherit: boolean;
  superuser: boolean;
  connectionLimit: number;
  memberOf: string[];
  /** Grant address (`database=app,schema=public,tables=all`) → privileges. */
  grants: Record<string, string[]>;
  password: { present: boolean; appliedVersion?: string; secretVersion?: string; matches?: boolean };
}

const addressOf = (g: Pick<Grant, 'database' | 'schema' | 'tables'>) =>
  [`database=${g.database}`, g.schema && `schema=${g.schema}`, g.tables && 'tables=all'].filter(Boolean).join(',');

function parseAddress(address: string): { database: string; schema?: string; tables?: 'all' } {
  const parts = Object.fromEntries(address.split(',').map((p) => p.split('=') as [string, string]));
  return {
    database: parts.database!,
    ...(parts.schema ? { schema: parts.schema } : {}),
    ...(parts.tables ? { tables: 'all' } : {}),
  };
}

function desiredGrants(spec: PostgresRoleSpec): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of spec.grants) out[addressOf(g)] = [...new Set([...(out[addressOf(g)] ?? []), ...g.privileges])].sort();
  return out;
}

function checkSecret(spec: PostgresRoleSpec, ctx: PostgresContext): void {
  const name = spec.passwordSecret?.name;
  if (name && !name.startsWith(ctx.settings.passwordSecretPrefix)) {
    throw new PermanentError(
      `passwordSecret ${name} is outside this folder's passwordSecretPrefix '${ctx.settings.passwordSecretPrefix}', so it may not be read. Store the password under that prefix`,
    );
  }
}

/** The privileges `role` holds in the databases it is granted on (or declared in), by grant address. */
async function observedGrants(spec: PostgresRoleSpec, ctx: PostgresContext): Promise<Record<string, string[]>> {
  const all = await databases(ctx);
  const scope = new Set(spec.grants.map((g) => g.database).filter((d) => all.has(d)));
  for (const [name, db] of all) if (db.privileges.has(spec.name)) scope.add(name);
  const wanted = desiredGrants(spec);
  const out: Record<string, string[]> = {};
  for (const name of scope) {
    const dbPrivileges = all.get(name)?.privileges.get(spec.name);
    if (dbPrivileges?.length) out[`database=${name}`] = dbPrivileges;
    const inside = await databaseGrants(ctx, name);
    // Schemas whose names Tidemark could not declare are not its to manage.
    const manageable = (schema: string) => sqlName.safeParse(schema).success;
    for (const [schema, byRole] of inside.schemas) {
      if (!manageable(schema)) continue;
      const held = byRole.get(spec.name);
      if (held?.length) out[`database=${name},schema=${schema}`] = held;
    }
    for (const [schema, byRole] of inside.allTables) {
      if (!manageable(schema)) continue;
      const held = byRole.get(spec.name);
      if (held?.length) out[`database=${name},schema=${schema},tables=all`] = held;
    }
    // A schema without tables holds every privilege "on all its tables" there is nothing to grant on.
    for (const address of Object.keys(wanted)) {
      const a = parseAddress(address);
      if (a.database === name && a.tables && a.schema && !inside.schemasWithTables.has(a.schema))
        out[address] = wanted[address]!;
    }
  }
  return out;
}

function comparable(spec: PostgresRoleSpec) {
  return {
    login: spec.login,
    createdb: spec.createdb,
    createrole: spec.createrole,
    inherit: spec.inherit,
    superuser: false,
    connectionLimit: spec.connectionLimit,
    memberOf: [...spec.memberOf].sort(),
  };
}

const short = (version: string | undefined) => (version ? version.slice(0, 8) : 'unknown');

function passwordChange(spec: PostgresRoleSpec, actual: RoleState | undefined): FieldChange | undefined {
  const secret = spec.passwordSecret?.name;
  const p = actual?.password;
  if (!secret) return p?.present ? { path: 'password', from: 'set', to: '(none)' } : undefined;
  if (!p?.present) return { path: 'password', from: '(none)', to: `from secret ${secret}` };
  if (p.matches === false)
    return { path: 'password', from: `differs from secret ${secret}`, to: `from secret ${secret}` };
  if (p.matches === undefined && p.appliedVersion !== p.secretVersion) {
    return {
      path: 'password',
      from: `secret version ${short(p.appliedVersion)}`,
      to: `secret version ${short(p.secretVersion)}`,
    };
  }
  return undefined;
}

/**
 * PostgreSQL roles declared in Git: `PostgresRole.tidemark.dev/v1alpha1`, with attributes, group memberships, grants
 * and a password from Secrets Manager. Never a superuser: the declaration has no field for it, and a role made one by
 * hand is drift that self-heal reverts.
 *
 * Ownership: the role's COMMENT (see ownership-comment.ts), written in the transaction that creates it. A role that
 * left Git has the grants Tidemark can see revoked, then is dropped; a role that still owns objects fails to drop,
 * with PostgreSQL's detail naming them, and nothing of its data is touched.
 */
export const postgresRole = defineReconciler<PostgresRoleSpec, RoleState, PostgresSettings>({
  kind: 'PostgresRole',
  schema: PostgresRoleSpec,
  settings: PostgresSettings,
  identify: (spec) => spec.name,
  dependsOn: (spec) => [
    ...new Set([
      ...spec.grants.map((g) => `PostgresDatabase/${g.database}`),
      ...spec.memberOf.map((r) => `PostgresRole/${r}`),
    ]),
  ],

  async observe(spec, ctx): Promise<Observed<RoleState> | undefined> {
    checkSecret(spec, ctx);
    const row = (await roles(ctx)).get(spec.name);
    if (!row) return undefined;
    const marker = parseComment(row.comment);
    const verifiers = await passwordVerifiers(ctx);
    const secret = spec.passwordSecret;
    const verifier = verifiers?.get(spec.name);
    const present = verifiers ? verifier !== null && verifier !== undefined : marker?.passwordVersion !== undefined;
    const password: RoleState['password'] = { present };
    if (marker?.passwordVersion) password.appliedVersion = marker.passwordVersion;
    if (secret && present) {
      password.secretVersion = await ctx.secrets.version(secret.name);
      if (verifier) password.matches = verifierMatches(verifier, await ctx.secrets.value(secret.name, secret.key));
    }
    return {
      state: {
        login: row.login,
        createdb: row.createdb,
        createrole: row.createrole,
        inherit: row.inherit,
        superuser: row.superuser,
        connectionLimit: row.connectionLimit,
        memberOf: [...row.memberOf].sort(),
        grants: await observedGrants(spec, ctx),
        password,
      },
      owner: marker?.owner ?? null,
    };
  },

  plan(desired, actual) {
    const changes = diffFields(comparable(desired), actual && { ...comparable(desired), ...pick(actual) }, {
      unordered: ['memberOf'],
    });
    const want = desiredGrants(desired);
    const have = actual?.grants ?? {};
    for (const address of [...new Set([...Object.keys(want), ...Object.keys(have)])].sort()) {
      const to = want[address] ?? [];
      const from = have[address] ?? [];
      if (to.join() !== from.join()) changes.push({ path: `grants[${address}]`, from, to });
    }
    const password = passwordChange(desired, actual);
    if (password) changes.push(password);
    return changes;
  },

  async apply(desired, actual, changes, ctx) {
    const pool = await poolFor(ctx);
    const name = ident(desired.name);
    const setsPassword = changes.some((c) => c.path === 'password') && desired.passwordSecret;
    const verifier = setsPassword
      ? scramVerifier(await ctx.secrets.value(desired.passwordSecret!.name, desired.passwordSecret!.key))
      : undefined;
    const version = desired.passwordSecret
      ? setsPassword
        ? await ctx.secrets.version(desired.passwordSecret.name)
        : (actual?.state.password.appliedVersion ?? actual?.state.password.secretVersion)
      : undefined;
    const attributes = [
      desired.login ? 'LOGIN' : 'NOLOGIN',
      desired.createdb ? 'CREATEDB' : 'NOCREATEDB',
      desired.createrole ? 'CREATEROLE' : 'NOCREATEROLE',
      desired.inherit ? 'INHERIT' : 'NOINHERIT',
      `CONNECTION LIMIT ${desired.connectionLimit}`,
    ];
    const have = actual?.state.grants ?? {};
    const want = desiredGrants(desired);
    await inTransaction(pool, async (client) => {
      const existing = await client.query(
        'SELECT shobj_description(oid, $2) AS comment FROM pg_roles WHERE rolname = $1',
        [desired.name, 'pg_authid'],
      );
      const exists = (existing.rowCount ?? 0) > 0;
      if (exists && !actual && parseComment(existing.rows[0].comment)?.owner !== ctx.ownerId) {
        throw new PermanentError(
          `role ${desired.name} was created by someone else while this run planned to create it`,
        );
      }
      if (!exists) await client.query(`CREATE ROLE ${name} WITH ${attributes.join(' ')}`);
      else {
        const superuser = actual?.state.superuser ? ' NOSUPERUSER' : '';
        await client.query(`ALTER ROLE ${name} WITH ${attributes.join(' ')}${superuser}`);
      }
      if (verifier) await client.query(`ALTER ROLE ${name} WITH PASSWORD ${literal(verifier)}`);
      else if (!desired.passwordSecret && actual?.state.password.present)
        await client.query(`ALTER ROLE ${name} WITH PASSWORD NULL`);
      const comment = commentOf({ owner: ctx.ownerId, ...(version ? { passwordVersion: version } : {}) });
      await client.query(`COMMENT ON ROLE ${name} IS ${literal(comment)}`);
      const memberOf = new Set(actual?.state.memberOf ?? []);
      for (const group of desired.memberOf)
        if (!memberOf.has(group)) await client.query(`GRANT ${ident(group)} TO ${name}`);
      for (const group of memberOf)
        if (!desired.memberOf.includes(group)) await client.query(`REVOKE ${ident(group)} FROM ${name}`);
      for (const address of addresses(want, have).filter((a) => !parseAddress(a).schema)) {
        await grantDifference(client, address, name, have[address] ?? [], want[address] ?? []);
      }
    });
    const byDatabase = new Map<string, string[]>();
    for (const address of addresses(want, have).filter((a) => parseAddress(a).schema)) {
      const { database } = parseAddress(address);
      byDatabase.set(database, [...(byDatabase.get(database) ?? []), address]);
    }
    for (const [database, list] of byDatabase) {
      await inTransaction(await poolFor(ctx, database), async (client) => {
        for (const address of list)
          await grantDifference(client, address, name, have[address] ?? [], want[address] ?? []);
      });
    }
  },

  async remove(last, actual, ctx) {
    const name = ident(last.name);
    const grants = actual.state.grants;
    const byDatabase = new Map<string, string[]>();
    for (const address of Object.keys(grants).filter((a) => parseAddress(a).schema)) {
      const { database } = parseAddress(address);
      byDatabase.set(database, [...(byDatabase.get(database) ?? []), address]);
    }
    for (const [database, list] of byDatabase) {
      await inTransaction(await poolFor(ctx, database), async (client) => {
        for (const address of list) await grantDifference(client, address, name, grants[address] ?? [], []);
      });
    }
    await inTransaction(await poolFor(ctx), async (client) => {
      for (const address of Object.keys(grants).filter((a) => !parseAddress(a).schema)) {
        await grantDifference(client, address, name, grants[address] ?? [], []);
      }
      try {
        await client.query(`DROP ROLE ${name}`);
      } catch (error) {
        throw new PermanentError(
          `cannot drop role ${last.name}: ${reason(error)}. Reassign or drop what it owns, then reconcile again`,
        );
      }
    });
    return 'removed';
  },
});

function pick(actual: RoleState) {
  const { login, createdb, createrole, inherit, superuser, connectionLimit, memberOf } = actual;
  return { login, createdb, createrole, inherit, superuser, connectionLimit, memberOf };
}

function addresses(want: Record<string, string[]>, have: Record<string, string[]>): string[] {
  return [...new Set([...Object.keys(want), ...Object.keys(have)])].sort();
}

/** GRANT what `want` adds to `have`, REVOKE what it drops, at one grant address. */
async function grantDifference(
  client: pg.PoolClient,
  address: string,
  role: string,
  have: readonly string[],
  want: readonly string[],
): Promise<void> {
  const a = parseAddress(address);
  const on = a.tables
    ? `ALL TABLES IN SCHEMA ${ident(a.schema!)}`
    : a.schema
      ? `SCHEMA ${ident(a.schema)}`
      : `DATABASE ${ident(a.database)}`;
  const add = want.filter((p) => !have.includes(p));
  const drop = have.filter((p) => !want.includes(p));
  if (add.length > 0) await client.query(`GRANT ${add.join(', ')} ON ${on} TO ${role}`);
  if (drop.length > 0) await client.query(`REVOKE ${drop.join(', ')} ON ${on} FROM ${role}`);
}
