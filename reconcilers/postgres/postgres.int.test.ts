import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { actions, testFolder } from '../../test/support/resources';
import postgres from './index';

// Against the real PostgreSQL server `tidemark local up` runs (Debian's package), as its superuser, with the admin
// credentials and the roles' passwords in moto's Secrets Manager as in AWS. What the server holds is checked with
// plain SQL and by logging in as the roles, never through the reconciler.

const secrets = new SecretsManagerClient({});
const admin = () => new pg.Client({ connectionString: localEnv().postgres.url });
let sql: pg.Client;
const id = uniqueName('tm').replaceAll('-', '_');
const settings = () => ({
  host: localEnv().postgres.host,
  port: localEnv().postgres.port,
  adminSecretName: localEnv().postgres.adminSecretName,
  ssl: 'disable',
});
const passwords = new Map<string, string>();

async function passwordSecret(name: string): Promise<string> {
  const secretName = `tidemark/postgres/${name}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  passwords.set(secretName, password);
  await secrets.send(new CreateSecretCommand({ Name: secretName, SecretString: password }));
  return secretName;
}

async function rotate(secretName: string): Promise<string> {
  const password = `pw-${randomBytes(12).toString('hex')}`;
  passwords.set(`${secretName}#${passwords.size}`, password);
  await secrets.send(new PutSecretValueCommand({ SecretId: secretName, SecretString: password }));
  return password;
}

async function canLogIn(user: string, password: string, database = 'postgres'): Promise<boolean> {
  const client = new pg.Client({ ...connection(), user, password, database });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const connection = () => ({ host: localEnv().postgres.host, port: localEnv().postgres.port });
const one = async <T>(query: string, values: unknown[] = []) => (await sql.query(query, values)).rows[0] as T;

const declaration = (kind: string, name: string, spec: string) => `
apiVersion: tidemark.dev/v1alpha1
kind: ${kind}
metadata:
  name: ${name.replaceAll('_', '-')}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`;

beforeAll(async () => {
  sql = admin();
  await sql.connect();
});

afterAll(async () => {
  await sql.end();
});

describe('PostgresDatabase and PostgresRole', () => {
  it('creates a database and a role that logs in with its Secrets Manager password and holds its grants', async () => {
    const db = testFolder(postgres, { name: 'db', ownerId: uniqueName('owner'), settings: settings() });
    const secret = await passwordSecret(`${id}_app`);
    const files = {
      'database.yaml': declaration('PostgresDatabase', `${id}_shop`, `name: ${id}_shop\nconnectionLimit: 20`),
      'role.yaml': declaration(
        'PostgresRole',
        `${id}_app`,
        `name: ${id}_app
passwordSecret: { name: ${secret} }
connectionLimit: 5
grants:
  - { database: ${id}_shop, privileges: [CONNECT, TEMPORARY] }
  - { database: ${id}_shop, schema: public, privileges: [USAGE] }`,
      ),
    };
    const created = await db.reconcile(files);
    expect(created.outcome.kind, JSON.stringify(created.outcome)).toBe('applied');
    expect(actions(created)).toEqual({
      [`PostgresDatabase/${id}_shop`]: 'created',
      [`PostgresRole/${id}_app`]: 'created',
    });
    expect(await canLogIn(`${id}_app`, passwords.get(secret)!, `${id}_shop`)).toBe(true);
    expect(
      await one<{ c: boolean; t: boolean; create: boolean; limit: number }>(
        `SELECT has_database_privilege($1, $2, 'CONNECT') c, has_database_privilege($1, $2, 'TEMPORARY') t,
                has_database_privilege($1, $2, 'CREATE') "create", (SELECT rolconnlimit FROM pg_roles WHERE rolname = $1) "limit"`,
        [`${id}_app`, `${id}_shop`],
      ),
    ).toEqual({ c: true, t: true, create: false, limit: 5 });
    expect(await one(`SELECT datconnlimit FROM pg_database WHERE datname = $1`, [`${id}_shop`])).toEqual({
      datconnlimit: 20,
    });
    expect(Object.values(actions(await db.reconcile(files)))).toEqual(['unchanged', 'unchanged']);
  });

  it('changes what the declaration changed, revokes what it dropped, and grants on all tables of a schema', async () => {
    const db = testFolder(postgres, { name: 'db', ownerId: uniqueName('owner'), settings: settings() });
    const database = declaration('PostgresDatabase', `${id}_data`, `name: ${id}_data`);
    const role = (grants: string, extra = '') =>
      declaration('PostgresRole', `${id}_reader`, `name: ${id}_reader\nlogin: false\n${extra}grants:\n${grants}`);
    await db.reconcile({
      'database.yaml': database,
      'role.yaml': role(`  - { database: ${id}_data, privileges: [CONNECT, CREATE] }`),
    });
    const inData = new pg.Client({
      ...connection(),
      user: localEnv().postgres.adminUser,
      password: localEnv().postgres.adminPassword,
      database: `${id}_data`,
    });
    await inData.connect();
    await inData.query('CREATE TABLE orders (id int); CREATE TABLE lines (id int)');
    const changed = await db.reconcile({
      'database.yaml': database,
      'role.yaml': role(
        `  - { database: ${id}_data, privileges: [CONNECT] }\n  - { database: ${id}_data, schema: public, tables: all, privileges: [SELECT] }`,
        'createdb: true\n',
      ),
    });
    expect(changed.outcome).toMatchObject({
      kind: 'applied',
      results: expect.arrayContaining([
        expect.objectContaining({
          key: `PostgresRole/${id}_reader`,
          action: 'updated',
          changes: [
            { path: 'createdb', from: false, to: true },
            { path: `grants[database=${id}_data]`, from: ['CONNECT', 'CREATE'], to: ['CONNECT'] },
            { path: `grants[database=${id}_data,schema=public,tables=all]`, from: [], to: ['SELECT'] },
          ],
        }),
      ]),
    });
    const privileges = await inData.query(
      `SELECT has_table_privilege($1, 'orders', 'SELECT') o, has_table_privilege($1, 'lines', 'SELECT') l,
              has_database_privilege($1, current_database(), 'CREATE') c`,
      [`${id}_reader`],
    );
    expect(privileges.rows[0]).toEqual({ o: true, l: true, c: false });

    // A table added later lacks the grant: the scan says so, and the next reconcile grants it.
    await inData.query('CREATE TABLE refunds (id int)');
    const files = {
      'database.yaml': database,
      'role.yaml': role(
        `  - { database: ${id}_data, privileges: [CONNECT] }\n  - { database: ${id}_data, schema: public, tables: all, privileges: [SELECT] }`,
        'createdb: true\n',
      ),
    };
    expect((await db.scan(files)).findings).toEqual([
      {
        kind: 'modified',
        key: `PostgresRole/${id}_reader`,
        changes: [{ path: `grants[database=${id}_data,schema=public,tables=all]`, from: [], to: ['SELECT'] }],
      },
    ]);
    await db.reconcile(files);
    expect(
      (await inData.query(`SELECT has_table_privilege($1, 'refunds', 'SELECT') r`, [`${id}_reader`])).rows[0],
    ).toEqual({ r: true });
    await inData.end();
  });

  it('sets a rotated password, and finds a password changed by hand', async () => {
    const db = testFolder(postgres, { name: 'db', ownerId: uniqueName('owner'), settings: settings() });
    const secret = await passwordSecret(`${id}_rot`);
    const files = {
      'role.yaml': declaration('PostgresRole', `${id}_rot`, `name: ${id}_rot\npasswordSecret: { name: ${secret} }`),
    };
    await db.reconcile(files);
    const rotated = await rotate(secret);
    expect((await db.scan(files)).findings).toMatchObject([
      {
        kind: 'modified',
        changes: [{ path: 'password', from: `differs from secret ${secret}`, to: `from secret ${secret}` }],
      },
    ]);
    expect(actions(await db.reconcile(files))).toEqual({ [`PostgresRole/${id}_rot`]: 'updated' });
    expect(await canLogIn(`${id}_rot`, rotated)).toBe(true);

    await sql.query(`ALTER ROLE ${id}_rot PASSWORD 'typed-by-hand'`);
    db.folder.selfHeal = true;
    const healed = await db.scan(files);
    expect(healed).toMatchObject({
      healed: 1,
      findings: [{ kind: 'modified', reverted: true, changes: [{ path: 'password' }] }],
    });
    expect(await canLogIn(`${id}_rot`, 'typed-by-hand')).toBe(false);
    expect(await canLogIn(`${id}_rot`, rotated)).toBe(true);
  });

  it('reverts a role made superuser by hand, with self-heal, and reports it', async () => {
    const db = testFolder(postgres, { name: 'db', ownerId: uniqueName('owner'), selfHeal: true, settings: settings() });
    const files = { 'role.yaml': declaration('PostgresRole', `${id}_su`, `name: ${id}_su\nlogin: false`) };
    await db.reconcile(files);
    await sql.query(`ALTER ROLE ${id}_su SUPERUSER CREATEDB`);
    const scanned = await db.scan(files);
    expect(scanned.findings).toEqual([
      {
        kind: 'modified',
        key: `PostgresRole/${id}_su`,
        reverted: true,
        changes: [
          { path: 'createdb', from: true, to: false },
          { path: 'superuser', from: true, to: false },
        ],
      },
    ]);
    expect(await one(`SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = $1`, [`${id}_su`])).toEqual({
      rolsuper: false,
      rolcreatedb: false,
    });
  });

  it('never touches a role made outside Git, and drops a role that left Git', async () => {
    const db = testFolder(postgres, {
      name: 'db',
      ownerId: uniqueName('owner'),
      maxPrunePercent: 100,
      settings: settings(),
    });
    await sql.query(`CREATE ROLE ${id}_hand LOGIN CONNECTION LIMIT 3`);
    const conflict = await db.reconcile({
      'hand.yaml': declaration('PostgresRole', `${id}_hand`, `name: ${id}_hand\nconnectionLimit: 9`),
      'temp.yaml': declaration('PostgresRole', `${id}_temp`, `name: ${id}_temp\nlogin: false`),
    });
    expect(actions(conflict)).toEqual({
      [`PostgresRole/${id}_hand`]: 'conflict',
      [`PostgresRole/${id}_temp`]: 'created',
    });
    expect(await one(`SELECT rolconnlimit FROM pg_roles WHERE rolname = $1`, [`${id}_hand`])).toEqual({
      rolconnlimit: 3,
    });
    const pruned = await db.reconcile({
      'other.yaml': declaration('PostgresRole', `${id}_other`, `name: ${id}_other\nlogin: false`),
    });
    expect(actions(pruned)).toEqual({
      [`PostgresRole/${id}_other`]: 'created',
      [`PostgresRole/${id}_temp`]: 'deleted',
    });
    expect(
      await one(`SELECT count(*)::int n FROM pg_roles WHERE rolname IN ($1, $2)`, [`${id}_temp`, `${id}_hand`]),
    ).toEqual({ n: 1 });
  });

  it('keeps a database that left Git unless its declaration asked to drop it', async () => {
    const db = testFolder(postgres, {
      name: 'db',
      ownerId: uniqueName('owner'),
      maxPrunePercent: 100,
      settings: settings(),
    });
    const keep = declaration('PostgresRole', `${id}_anchor`, `name: ${id}_anchor\nlogin: false`);
    await db.reconcile({
      'keep.yaml': keep,
      'a.yaml': declaration('PostgresDatabase', `${id}_kept`, `name: ${id}_kept`),
    });
    expect(actions(await db.reconcile({ 'keep.yaml': keep }))).toMatchObject({
      [`PostgresDatabase/${id}_kept`]: 'retained',
    });
    expect(await one(`SELECT count(*)::int n FROM pg_database WHERE datname = $1`, [`${id}_kept`])).toEqual({ n: 1 });

    const deletable = declaration('PostgresDatabase', `${id}_drop`, `name: ${id}_drop\ndeletionPolicy: Delete`);
    await db.reconcile({ 'keep.yaml': keep, 'b.yaml': deletable });
    expect(actions(await db.reconcile({ 'keep.yaml': keep }))).toMatchObject({
      [`PostgresDatabase/${id}_drop`]: 'deleted',
    });
    expect(await one(`SELECT count(*)::int n FROM pg_database WHERE datname = $1`, [`${id}_drop`])).toEqual({ n: 0 });
  });

  it('fails with the reason when the server cannot be reached, and deletes nothing', async () => {
    const db = testFolder(postgres, {
      name: 'db',
      ownerId: uniqueName('owner'),
      maxPrunePercent: 100,
      settings: settings(),
    });
    await db.reconcile({
      'a.yaml': declaration('PostgresRole', `${id}_down_a`, `name: ${id}_down_a\nlogin: false`),
      'b.yaml': declaration('PostgresRole', `${id}_down_b`, `name: ${id}_down_b\nlogin: false`),
    });
    db.folder.settings = { ...settings(), port: 1 };
    const down = await db.reconcile({
      'a.yaml': declaration('PostgresRole', `${id}_down_a`, `name: ${id}_down_a\nlogin: false`),
    });
    expect(down.outcome).toMatchObject({
      kind: 'failed',
      results: [
        {
          key: `PostgresRole/${id}_down_a`,
          action: 'failed',
          message: expect.stringContaining('cannot connect to PostgreSQL at 127.0.0.1:1/postgres'),
        },
        {
          key: `PostgresRole/${id}_down_b`,
          action: 'skipped',
          message: expect.stringContaining('kept until a run succeeds'),
        },
      ],
    });
    expect(down.findings).toBeUndefined();
    const scan = await db.scan({
      'a.yaml': declaration('PostgresRole', `${id}_down_a`, `name: ${id}_down_a\nlogin: false`),
    });
    expect(scan.outcome).toMatchObject({ kind: 'failed', message: expect.stringContaining('ECONNREFUSED') });
    expect(await one(`SELECT count(*)::int n FROM pg_roles WHERE rolname = $1`, [`${id}_down_b`])).toEqual({ n: 1 });
    expect(db.inventory.entries.map((e) => e.key)).toEqual([`PostgresRole/${id}_down_a`, `PostgresRole/${id}_down_b`]);
  });

  it('never lets a password reach a result, a finding or the server log', async () => {
    // Every statement the server ran is in its log (log_statement = all): roles were created, altered and rotated above.
    const log = readFileSync(join(localEnv().stateDir, 'postgres.log'), 'utf8');
    expect(passwords.size).toBeGreaterThan(2);
    for (const password of passwords.values()) expect(log).not.toContain(password);
    expect(log).toContain('SCRAM-SHA-256$4096:');
  });
});
