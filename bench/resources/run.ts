/**
 * Reconcilers beyond Kubernetes, on the local environment (started here when it is not running, and stopped again):
 * record sets in moto's Route 53 and roles in the local PostgreSQL server, declared as files and run through the
 * engine the reconciler Lambdas use (engine/resources), with the built-in reconcilers and real clients.
 *
 * Three measurements per provider: the first reconcile (everything created), the steady state (a reconcile with
 * nothing to change: every object unchanged, so no write is made) and a drift scan (a few objects changed by hand
 * first, which the scan must report). Baseline, in the same run and on the same servers: the same changes and
 * checks made one call at a time, as a script does without Tidemark: one `aws route53 change-resource-record-sets`
 * (the AWS CLI from PyPI, bench/resources/install-awscli.sh) per record set, one `aws route53 list-resource-record-sets
 * --max-items 1` per record set to check it; one `psql -c` per role to create it with its grants, one to check it.
 *
 *   npx tsx bench/resources/run.ts [--records 500] [--roles 50] [--baseline-records N] [--json]
 *
 * Defaults are short (25 record sets, 10 roles); the issue's figures are `--records 500 --roles 50`. Each AWS CLI
 * call starts a Python process (about half a second on an idle machine, several on a loaded one), so
 * `--baseline-records N` times the CLI on the first N record sets only and scales its time to all of them; the
 * report says so on that row.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { SecretsManagerReader } from '../../adapters/resources/secrets-manager-reader';
import type { DeclarationFile } from '../../core/resources/parse-declarations';
import { type ReconcilerModule, reconcilersByKind } from '../../core/resources/reconciler';
import { emptyInventory, type ResourceInventory } from '../../core/resources/resource-inventory';
import type { ResourceFolderConfig } from '../../core/resources/resources-settings';
import { reconcileFolder } from '../../engine/resources/reconcile-folder';
import { silentLog } from '../../engine/resources/run-context';
import { scanFolder } from '../../engine/resources/scan-folder';
import { exportsFor } from '../../local/environment';
import { down, projectRoot, readEnvironment, up } from '../../local/local-environment';
import postgres from '../../reconcilers/postgres';
import route53 from '../../reconcilers/route53';
import { reportFigures } from '../support/bench-report';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '25' },
    roles: { type: 'string', default: '10' },
    'baseline-records': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const records = Number(args.records);
const roles = Number(args.roles);
const baselineRecords = Math.min(records, Number(args['baseline-records'] ?? records));
const scale = records / baselineRecords;
const handChanges = { records: Math.max(1, Math.round(records / 100)), roles: 1 };

const wasRunning = readEnvironment() !== undefined;
const env = await up((line) => console.error(`[local] ${line}`));
Object.assign(process.env, exportsFor(env));
const aws = execFileSync('bash', [join(projectRoot, 'bench/resources/install-awscli.sh')], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
  .toString()
  .trim()
  .split('\n')
  .pop()!;
const id = randomBytes(3).toString('hex');
const load = [loadavg()[0]!];

interface Measured {
  ms: number;
  detail: string;
}
const time = async (work: () => Promise<string>): Promise<Measured> => {
  const started = performance.now();
  const detail = await work();
  return { ms: performance.now() - started, detail };
};

/** A folder run as its Lambda runs it, the inventory carried from run to run as the State table carries it. */
function folderOf(module: ReconcilerModule, folder: ResourceFolderConfig) {
  const reconcilers = reconcilersByKind(module);
  let inventory: ResourceInventory = emptyInventory;
  let writes = 0;
  const deps = { secrets: new SecretsManagerReader(), log: silentLog };
  return {
    /** The objects the last reconcile wrote (created, updated or deleted): 0 is the steady state's goal. */
    get lastWrites() {
      return writes;
    },
    async reconcile(files: DeclarationFile[]): Promise<string> {
      const { outcome } = await reconcileFolder(
        { folder, reconcilers, files, revision: 'bench', previous: inventory },
        deps,
      );
      if (outcome.kind !== 'applied')
        throw new Error(`reconcile did not apply: ${JSON.stringify(outcome).slice(0, 600)}`);
      inventory = outcome.inventory;
      writes = outcome.results.filter((r) => r.action !== 'unchanged').length;
      return `${outcome.results.length} objects, ${writes} written`;
    },
    async scan(files: DeclarationFile[], expected: number): Promise<string> {
      const scan = await scanFolder(
        {
          folder: { ...folder, selfHeal: false },
          reconcilers,
          files,
          revision: 'bench',
          inventory,
          now: () => new Date(),
        },
        deps,
      );
      if (scan.outcome.kind !== 'scanned') throw new Error(`scan failed: ${scan.outcome.message}`);
      const found = scan.outcome.report.findings.length;
      if (found !== expected)
        throw new Error(`the scan found ${found} drifted objects, ${expected} were changed by hand`);
      return `${found} drifted found`;
    },
  };
}

const folder = (name: string, reconciler: string, settings: Record<string, unknown>): ResourceFolderConfig => ({
  name,
  path: `resources/${name}`,
  reconciler,
  ownerId: `bench-${name}-${id}`,
  adoptOwnerIds: [],
  prune: true,
  maxPrunePercent: 20,
  selfHeal: false,
  settings,
  permissions: [],
});

// ---- Route 53 ---------------------------------------------------------------------------------------------------
const r53 = new Route53Client({});
const createZone = async (name: string) =>
  (
    await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Date.now()}` }))
  ).HostedZone!.Id!.replace('/hostedzone/', '');
const tidemarkZone = `t-${id}.bench.example.com`;
const cliZone = `c-${id}.bench.example.com`;
const [tidemarkZoneId, cliZoneId] = [await createZone(tidemarkZone), await createZone(cliZone)];
const names = Array.from({ length: records }, (_, i) => `host-${String(i).padStart(4, '0')}`);
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const dnsFiles: DeclarationFile[] = names.map((name, i) => ({
  path: `resources/dns/${name}.yaml`,
  text: `apiVersion: tidemark.dev/v1alpha1\nkind: DnsRecordSet\nmetadata: { name: ${name} }\nspec: { zone: ${tidemarkZone}, name: ${name}, type: A, ttl: 300, values: ["${ip(i)}"] }\n`,
}));
const dns = folderOf(route53, folder('dns', 'route53', { hostedZoneIds: [tidemarkZoneId] }));
const awsCli = (...cliArgs: string[]) => {
  const r = spawnSync(aws, cliArgs, { env: process.env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`aws ${cliArgs.slice(0, 2).join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};
const upsertWithCli = (name: string, i: number, ttl: number) =>
  awsCli(
    'route53',
    'change-resource-record-sets',
    '--hosted-zone-id',
    cliZoneId,
    '--change-batch',
    JSON.stringify({
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: { Name: `${name}.${cliZone}`, Type: 'A', TTL: ttl, ResourceRecords: [{ Value: ip(i) }] },
        },
      ],
    }),
  );
const checkWithCli = (name: string) =>
  awsCli(
    'route53',
    'list-resource-record-sets',
    '--hosted-zone-id',
    cliZoneId,
    '--start-record-name',
    `${name}.${cliZone}`,
    '--start-record-type',
    'A',
    '--max-items',
    '1',
  );

const dnsFirst = await time(() => dns.reconcile(dnsFiles));
const dnsSteady = await time(() => dns.reconcile(dnsFiles));
const dnsSteadyWrites = dns.lastWrites;
for (let i = 0; i < handChanges.records; i++) {
  await r53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: tidemarkZoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: {
              Name: `${names[i]}.${tidemarkZone}`,
              Type: 'A',
              TTL: 60,
              ResourceRecords: [{ Value: ip(i) }],
            },
          },
        ],
      },
    }),
  );
}
const dnsScan = await time(() => dns.scan(dnsFiles, handChanges.records));
/** The CLI's time on the first `baselineRecords` record sets, scaled to all of them. */
const scaled = async (work: () => void): Promise<Measured> => {
  const measured = await time(async () => {
    work();
    return '';
  });
  return { ms: measured.ms * scale, detail: scale === 1 ? `${records} calls` : `${baselineRecords} calls, scaled` };
};
const sample = names.slice(0, baselineRecords);
const cliFirst = await scaled(() => {
  for (const [i, name] of sample.entries()) upsertWithCli(name, i, 300);
});
const cliSteady = await scaled(() => {
  for (const name of sample) checkWithCli(name);
});
const cliScan = await scaled(() => {
  for (const name of sample) checkWithCli(name);
});

// ---- PostgreSQL -------------------------------------------------------------------------------------------------
const database = `bench_${id}`;
const secrets = new SecretsManagerClient({});
const roleNames = Array.from({ length: roles }, (_, i) => `bench_${id}_${String(i).padStart(3, '0')}`);
const passwords = new Map<string, string>();
for (const role of roleNames) {
  const password = randomBytes(12).toString('hex');
  passwords.set(role, password);
  await secrets.send(new CreateSecretCommand({ Name: `tidemark/postgres/${role}`, SecretString: password }));
}
const grants = `  - { database: ${database}, privileges: [CONNECT] }\n  - { database: ${database}, schema: public, privileges: [USAGE] }`;
const dbFiles: DeclarationFile[] = [
  {
    path: 'resources/db/database.yaml',
    text: `apiVersion: tidemark.dev/v1alpha1\nkind: PostgresDatabase\nmetadata: { name: shop }\nspec: { name: ${database} }\n`,
  },
  ...roleNames.map((role) => ({
    path: `resources/db/${role}.yaml`,
    text: `apiVersion: tidemark.dev/v1alpha1\nkind: PostgresRole\nmetadata: { name: ${role.replaceAll('_', '-')} }\nspec:\n  name: ${role}\n  passwordSecret: { name: tidemark/postgres/${role} }\n  connectionLimit: 10\n  grants:\n${grants}\n`,
  })),
];
const db = folderOf(
  postgres,
  folder('db', 'postgres', {
    host: env.postgres.host,
    port: env.postgres.port,
    adminSecretName: env.postgres.adminSecretName,
    ssl: 'disable',
  }),
);
const pgFirst = await time(() => db.reconcile(dbFiles));
const pgSteady = await time(() => db.reconcile(dbFiles));
const pgSteadyWrites = db.lastWrites;
const admin = new pg.Client({ connectionString: env.postgres.url });
await admin.connect();
await admin.query(`ALTER ROLE ${roleNames[0]} CONNECTION LIMIT 99`);
await admin.query(`CREATE DATABASE ${database}_cli`);
await admin.end();
const pgScan = await time(() => db.scan(dbFiles, handChanges.roles));
const psql = (dbName: string, sql: string) => {
  const url = new URL(env.postgres.url);
  url.pathname = `/${dbName}`;
  const r = spawnSync('psql', [url.toString(), '-tAqc', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout;
};
const cliRoles = roleNames.map((r) => `${r}_cli`);
const psqlFirst = await time(async () => {
  for (const role of cliRoles) {
    psql(
      `${database}_cli`,
      `CREATE ROLE ${role} LOGIN PASSWORD '${passwords.get(role.replace(/_cli$/, ''))}' CONNECTION LIMIT 10; GRANT CONNECT ON DATABASE ${database}_cli TO ${role}; GRANT USAGE ON SCHEMA public TO ${role};`,
    );
  }
  return `${roles} calls`;
});
const check = (role: string) =>
  psql(
    `${database}_cli`,
    `SELECT rolcanlogin, rolconnlimit, has_database_privilege(rolname, current_database(), 'CONNECT'), has_schema_privilege(rolname, 'public', 'USAGE') FROM pg_roles WHERE rolname = '${role}'`,
  );
const psqlSteady = await time(async () => {
  for (const role of cliRoles) check(role);
  return `${roles} calls`;
});
const psqlScan = await time(async () => {
  for (const role of cliRoles) check(role);
  return `${roles} calls`;
});
load.push(loadavg()[0]!);

// ---- Report -----------------------------------------------------------------------------------------------------
const rows = [
  { what: `route53 first reconcile (${records} record sets)`, tidemark: dnsFirst, baseline: cliFirst, tool: 'aws cli' },
  { what: 'route53 steady state', tidemark: dnsSteady, baseline: cliSteady, tool: 'aws cli' },
  {
    what: `route53 drift scan (${handChanges.records} changed by hand)`,
    tidemark: dnsScan,
    baseline: cliScan,
    tool: 'aws cli',
  },
  { what: `postgres first reconcile (${roles} roles)`, tidemark: pgFirst, baseline: psqlFirst, tool: 'psql' },
  { what: 'postgres steady state', tidemark: pgSteady, baseline: psqlSteady, tool: 'psql' },
  {
    what: `postgres drift scan (${handChanges.roles} changed by hand)`,
    tidemark: pgScan,
    baseline: psqlScan,
    tool: 'psql',
  },
];
const s = (m: Measured) => `${(m.ms / 1000).toFixed(2)} s`;
if (args.json) {
  console.log(
    JSON.stringify(
      {
        benchmark: 'resources',
        records,
        roles,
        load,
        rows: rows.map((r) => ({
          what: r.what,
          tidemarkMs: Math.round(r.tidemark.ms),
          baselineMs: Math.round(r.baseline.ms),
          baseline: r.tool,
          detail: r.tidemark.detail,
        })),
      },
      null,
      2,
    ),
  );
} else {
  console.log(
    `bench/resources: ${records} record sets (moto Route 53), ${roles} roles (PostgreSQL), load ${load.map((l) => l.toFixed(1)).join(' → ')} on ${navigator.hardwareConcurrency} cores`,
  );
  console.log('');
  console.log(`${'measurement'.padEnd(46)} ${'tidemark'.padEnd(40)} ${'one call at a time'.padEnd(40)} ratio`);
  for (const r of rows) {
    console.log(
      `${r.what.padEnd(46)} ${`${s(r.tidemark)} (${r.tidemark.detail})`.padEnd(40)} ${`${s(r.baseline)} (${r.tool}, ${r.baseline.detail})`.padEnd(40)} ${(r.baseline.ms / r.tidemark.ms).toFixed(1)}×`,
    );
  }
  console.log('');
  console.log(
    'ratio = one call at a time ÷ tidemark (higher is better for tidemark); writes are the objects the engine applied',
  );
}
// For `npm run bench`'s summary table: each measurement with its ratio, and the steady state's writes (goal: none).
reportFigures('resources', [
  ...rows.map((r) => ({
    figure: r.what,
    value: `${s(r.tidemark)}; ${r.tool} one call at a time ${s(r.baseline)} (${(r.baseline.ms / r.tidemark.ms).toFixed(1)}×)`,
  })),
  ...[
    { provider: 'route53', writes: dnsSteadyWrites },
    { provider: 'postgres', writes: pgSteadyWrites },
  ].map(({ provider, writes }) => ({
    figure: `${provider} steady state: writes`,
    value: `${writes} writes`,
    target: '0 writes',
    met: writes === 0,
  })),
]);
if (!wasRunning) await down();
process.exit(0);
