import { defineReconciler, diffFields, PermanentError, z } from '../../sdk';
import { databases } from './catalog';
import { ident, literal, PostgresSettings, poolFor, reason } from './connection';
import { commentOf, parseComment } from './ownership-comment';
import { sqlName } from './postgres-role';

/** `spec` of a `PostgresDatabase.tidemark.dev/v1alpha1`. */
export const PostgresDatabaseSpec = z.strictObject({
  name: sqlName,
  /** The role that owns it. @default - not managed: the role Tidemark connects as, when it creates it */
  owner: sqlName.optional(),
  /** Set when the database is created; it cannot change afterwards. @default 'UTF8' */
  encoding: z
    .string()
    .regex(/^[A-Z0-9_]+$/, "is not an encoding name such as 'UTF8'")
    .default('UTF8'),
  /** -1: no limit. */
  connectionLimit: z.number().int().min(-1).default(-1),
  /**
   * What happens when the declaration leaves Git. `Retain` (the default) keeps the database and its data;
   * `Delete` drops it, and only when the declaration said so when it was last applied: to drop a database, first
   * commit `deletionPolicy: Delete`, let it apply, then remove the declaration.
   */
  deletionPolicy: z.enum(['Retain', 'Delete']).default('Retain'),
});
export type PostgresDatabaseSpec = z.infer<typeof PostgresDatabaseSpec>;

interface DatabaseState {
  owner: string;
  encoding: string;
  connectionLimit: number;
}

const comparable = (spec: PostgresDatabaseSpec) => ({
  ...(spec.owner ? { owner: spec.owner } : {}),
  encoding: spec.encoding,
  connectionLimit: spec.connectionLimit,
});

/**
 * PostgreSQL databases declared in Git: `PostgresDatabase.tidemark.dev/v1alpha1`. Never dropped unless the
 * declaration last applied asked for it (`deletionPolicy: Delete`); a database with sessions open is not dropped
 * either (no `WITH (FORCE)`): the drop fails with PostgreSQL's reason and is tried again by the next reconcile.
 * Ownership: the database's COMMENT, written right after CREATE DATABASE (which cannot run inside a transaction).
 */
export const postgresDatabase = defineReconciler<PostgresDatabaseSpec, DatabaseState, PostgresSettings>({
  kind: 'PostgresDatabase',
  schema: PostgresDatabaseSpec,
  settings: PostgresSettings,
  identify: (spec) => spec.name,
  dependsOn: (spec) => (spec.owner ? [`PostgresRole/${spec.owner}`] : []),

  async observe(spec, ctx) {
    const row = (await databases(ctx)).get(spec.name);
    if (!row) return undefined;
    return {
      state: { owner: row.owner, encoding: row.encoding, connectionLimit: row.connectionLimit },
      owner: parseComment(row.comment)?.owner ?? null,
    };
  },

  plan(desired, actual) {
    const changes = diffFields(comparable(desired), actual && { ...comparable(desired), ...pickFor(desired, actual) });
    return changes.map((c) =>
      c.path === 'encoding' && actual
        ? {
            ...c,
            immutable: 'is fixed when a database is created. Create a database of another name and move the data',
          }
        : c,
    );
  },

  async apply(desired, actual, _changes, ctx) {
    const pool = await poolFor(ctx);
    const name = ident(desired.name);
    if (!actual) {
      const owner = desired.owner ? ` OWNER ${ident(desired.owner)}` : '';
      try {
        await pool.query(
          `CREATE DATABASE ${name}${owner} ENCODING ${literal(desired.encoding)} TEMPLATE template0 CONNECTION LIMIT ${desired.connectionLimit}`,
        );
      } catch (error) {
        throw new PermanentError(`cannot create database ${desired.name}: ${reason(error)}`);
      }
    } else {
      if (desired.owner && desired.owner !== actual.state.owner)
        await pool.query(`ALTER DATABASE ${name} OWNER TO ${ident(desired.owner)}`);
      if (desired.connectionLimit !== actual.state.connectionLimit) {
        await pool.query(`ALTER DATABASE ${name} WITH CONNECTION LIMIT ${desired.connectionLimit}`);
      }
    }
    await pool.query(`COMMENT ON DATABASE ${name} IS ${literal(commentOf({ owner: ctx.ownerId }))}`);
  },

  async remove(last, _actual, ctx) {
    if (last.deletionPolicy !== 'Delete') return 'retained';
    try {
      await (await poolFor(ctx)).query(`DROP DATABASE ${ident(last.name)}`);
    } catch (error) {
      throw new Error(`cannot drop database ${last.name}: ${reason(error)}`);
    }
    return 'removed';
  },
});

function pickFor(desired: PostgresDatabaseSpec, actual: DatabaseState) {
  return {
    ...(desired.owner ? { owner: actual.owner } : {}),
    encoding: actual.encoding,
    connectionLimit: actual.connectionLimit,
  };
}
