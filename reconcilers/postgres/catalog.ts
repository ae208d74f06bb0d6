import { type PostgresContext, poolFor } from './connection';

/**
 * What the server holds, read from its catalogs once per run and shared by every declaration: one query for all
 * roles, one for all databases, one per database for its schemas and tables, instead of a round trip per role.
 */

export interface RoleRow {
  name: string;
  login: boolean;
  createdb: boolean;
  createrole: boolean;
  inherit: boolean;
  superuser: boolean;
  connectionLimit: number;
  comment: string | null;
  /** Roles it is a member of. */
  memberOf: string[];
}

export interface DatabaseRow {
  name: string;
  owner: string;
  encoding: string;
  connectionLimit: number;
  comment: string | null;
  /** Explicit privileges on the database, by role (PUBLIC and the owner's own left out). */
  privileges: Map<string, string[]>;
}

/** Privileges inside one database, by role: on each schema, and on every table of a schema. */
export interface DatabaseGrants {
  /** schema → role → privileges on the schema. */
  schemas: Map<string, Map<string, string[]>>;
  /** schema → role → privileges the role holds on every table of the schema (absent: the schema has no tables). */
  allTables: Map<string, Map<string, string[]>>;
  /** Schemas that have at least one table. */
  schemasWithTables: Set<string>;
}

interface AclEntry {
  grantee: string;
  privilege: string;
}

const aclOf = (column: string) =>
  `COALESCE((SELECT json_agg(json_build_object('grantee', COALESCE(r.rolname, 'PUBLIC'), 'privilege', a.privilege_type))
     FROM aclexplode(${column}) a LEFT JOIN pg_roles r ON r.oid = a.grantee), '[]'::json)`;

export function roles(ctx: PostgresContext): Promise<Map<string, RoleRow>> {
  return ctx.memo('postgres:roles', async () => {
    const pool = await poolFor(ctx);
    const { rows } = await pool.query(`
      SELECT r.rolname AS name, r.rolcanlogin AS login, r.rolcreatedb AS createdb, r.rolcreaterole AS createrole,
             r.rolinherit AS inherit, r.rolsuper AS superuser, r.rolconnlimit AS "connectionLimit",
             shobj_description(r.oid, 'pg_authid') AS comment,
             COALESCE((SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM pg_auth_members m
                       JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '{}'::text[]) AS "memberOf"
      FROM pg_roles r`);
    return new Map((rows as RoleRow[]).map((row) => [row.name, row]));
  });
}

export function databases(ctx: PostgresContext): Promise<Map<string, DatabaseRow>> {
  return ctx.memo('postgres:databases', async () => {
    const pool = await poolFor(ctx);
    const { rows } = await pool.query(`
      SELECT d.datname AS name, pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding,
             d.datconnlimit AS "connectionLimit", shobj_description(d.oid, 'pg_database') AS comment,
             ${aclOf('d.datacl')} AS acl
      FROM pg_database d WHERE NOT d.datistemplate`);
    return new Map(
      (rows as (Omit<DatabaseRow, 'privileges'> & { acl: AclEntry[] })[]).map(({ acl, ...row }) => [
        row.name,
        { ...row, privileges: byRole(acl, row.owner) },
      ]),
    );
  });
}

/** Grants inside `database`, read through a connection to it. */
export function databaseGrants(ctx: PostgresContext, database: string): Promise<DatabaseGrants> {
  return ctx.memo(`postgres:grants:${database}`, async () => {
    const pool = await poolFor(ctx, database);
    const user = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;
    const [schemaRows, tableRows] = await Promise.all([
      pool.query(
        `SELECT n.nspname AS schema, pg_get_userbyid(n.nspowner) AS owner, ${aclOf('n.nspacl')} AS acl
         FROM pg_namespace n WHERE ${user}`,
      ),
      pool.query(
        `SELECT n.nspname AS schema, pg_get_userbyid(c.relowner) AS owner, ${aclOf('c.relacl')} AS acl
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${user}`,
      ),
    ]);
    const schemas = new Map<string, Map<string, string[]>>();
    for (const row of schemaRows.rows as { schema: string; owner: string; acl: AclEntry[] }[]) {
      schemas.set(row.schema, byRole(row.acl, row.owner));
    }
    // A privilege "on all tables" is one the role holds on every table of the schema it does not own.
    const tables = new Map<string, { owner: string; privileges: Map<string, string[]> }[]>();
    for (const row of tableRows.rows as { schema: string; owner: string; acl: AclEntry[] }[]) {
      tables.set(row.schema, [
        ...(tables.get(row.schema) ?? []),
        { owner: row.owner, privileges: byRole(row.acl, row.owner) },
      ]);
    }
    const allTables = new Map<string, Map<string, string[]>>();
    for (const [schema, list] of tables) {
      const roleNames = new Set(list.flatMap((t) => [...t.privileges.keys()]));
      const held = new Map<string, string[]>();
      for (const role of roleNames) {
        const relevant = list.filter((t) => t.owner !== role);
        const common = relevant.reduce<string[] | undefined>(
          (acc, t) => (acc ?? t.privileges.get(role) ?? []).filter((p) => (t.privileges.get(role) ?? []).includes(p)),
          undefined,
        );
        if (common && common.length > 0) held.set(role, common.sort());
      }
      allTables.set(schema, held);
    }
    return { schemas, allTables, schemasWithTables: new Set(tables.keys()) };
  });
}

/**
 * Each role's password verifier, when this connection may read `pg_authid` (a superuser); `undefined` where it may
 * not (RDS's master user), and rotations are then seen by the secret's version alone. Never logged or returned.
 */
export function passwordVerifiers(ctx: PostgresContext): Promise<Map<string, string | null> | undefined> {
  return ctx.memo('postgres:verifiers', async () => {
    const pool = await poolFor(ctx);
    try {
      const { rows } = await pool.query('SELECT rolname, rolpassword FROM pg_authid');
      return new Map(
        (rows as { rolname: string; rolpassword: string | null }[]).map((r) => [r.rolname, r.rolpassword]),
      );
    } catch (error) {
      if ((error as { code?: string }).code === '42501') return undefined; // insufficient_privilege
      throw error;
    }
  });
}

function byRole(acl: readonly AclEntry[], owner: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { grantee, privilege } of acl) {
    if (grantee === 'PUBLIC' || grantee === owner) continue;
    out.set(grantee, [...(out.get(grantee) ?? []), privilege]);
  }
  for (const [role, privileges] of out) out.set(role, [...new Set(privileges)].sort());
  return out;
}
