import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DynamoDbResourcesStatusStore } from '../../adapters/resources/dynamodb-status-store';
import { shortRevision } from '../../core/alerts/describe-drift';
import { parseDeploymentConfig } from '../../core/config/parse-deployment-config';
import type { ResourcesStatus } from '../../core/resources/resources-status';

interface GetResourcesOptions {
  config: string;
  table?: string;
  output: string;
}

/**
 * `tidemark get resources [NAME]`: each folder of resources beyond Kubernetes as its reconciler last left it (its
 * status in the State table): Ready, the last applied revision, how many objects it holds, the last drift scan; with
 * NAME, each object's result and the conditions. Registered under `tidemark get`, next to the Syncs it lists.
 * Exit 0 when every folder shown is Ready, 1 otherwise, 2 when the config or the table cannot be read.
 */
export function registerGetResources(program: Command): void {
  const get =
    program.commands.find((c) => c.name() === 'get') ??
    program.command('get').description('show what Tidemark manages and how it stands');
  get
    .command('resources')
    .description('folders of DNS records, databases and other resources, as their reconcilers last left them')
    .argument('[name]', 'one folder: show each of its objects')
    .option('--config <file>', 'the deployment config that lists the folders', 'tidemark.config.yaml')
    .option('--table <name>', 'the State table (default: $TIDEMARK_TABLE_NAME)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (name: string | undefined, options: GetResourcesOptions) => {
      process.exitCode = await getResources(name, options);
    });
}

async function getResources(name: string | undefined, options: GetResourcesOptions): Promise<number> {
  const table = options.table ?? process.env.TIDEMARK_TABLE_NAME;
  if (!table) {
    console.error(
      'tidemark: name the State table with --table or $TIDEMARK_TABLE_NAME (the stack output StateTableName)',
    );
    return 2;
  }
  let folders: string[];
  try {
    const config = parseDeploymentConfig(readFileSync(options.config, 'utf8'), options.config);
    folders = config.resources.map((f) => f.name).filter((f) => name === undefined || f === name);
    if (name !== undefined && folders.length === 0) {
      console.error(`tidemark: ${name} is not a folder under resources in ${options.config}`);
      return 2;
    }
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 2;
  }
  const store = new DynamoDbResourcesStatusStore(table);
  let statuses: { name: string; status: ResourcesStatus | undefined }[];
  try {
    statuses = await Promise.all(folders.map(async (f) => ({ name: f, status: (await store.load(f))?.status })));
  } catch (error) {
    // Exit 2 as documented, not a stack trace: a wrong table name or region, or no AWS credentials, is the usual cause.
    console.error(
      `tidemark: cannot read the State table ${table}: ${(error as Error).message || (error as Error).name}. Check --table (the stack output StateTableName), the AWS region and credentials`,
    );
    return 2;
  }
  if (options.output === 'json') {
    console.log(JSON.stringify(name === undefined ? statuses : statuses[0], null, 2));
  } else if (name === undefined) {
    printFolders(statuses);
  } else {
    printObjects(name, statuses[0]?.status);
  }
  return statuses.every((s) => s.status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True')) ? 0 : 1;
}

function printFolders(statuses: { name: string; status: ResourcesStatus | undefined }[]): void {
  const rows = statuses.map(({ name, status }) => {
    const ready = status?.conditions.find((c) => c.type === 'Ready');
    return [
      name,
      status?.path ?? '-',
      ready?.status ?? 'Unknown',
      ready?.reason ?? 'NotReconciledYet',
      status?.lastAppliedRevision ? shortRevision(status.lastAppliedRevision) : '-',
      String(status?.inventory.entries.length ?? 0),
      scanOf(status),
      status?.lastReconcileTime ? age(status.lastReconcileTime) : '-',
    ];
  });
  table(['NAME', 'PATH', 'READY', 'REASON', 'APPLIED', 'OBJECTS', 'LAST SCAN', 'AGE'], rows);
}

function printObjects(name: string, status: ResourcesStatus | undefined): void {
  if (!status) {
    console.log(`${name}: not reconciled yet`);
    return;
  }
  for (const c of status.conditions) console.log(`${c.type}=${c.status} ${c.reason}: ${c.message}`);
  console.log('');
  table(
    ['OBJECT', 'RESULT', 'SOURCE', 'MESSAGE'],
    status.objects.map((o) => [
      o.key,
      o.action,
      o.source ?? '-',
      o.message ?? (o.reverted ? 'changed outside Git, reverted' : ''),
    ]),
  );
}

function scanOf(status: ResourcesStatus | undefined): string {
  const scan = status?.lastScan;
  if (!scan) return '-';
  const what =
    scan.outcome === 'failed' ? 'failed' : scan.outcome === 'drifted' ? `${scan.findings} drifted` : 'in sync';
  return `${what} (${age(scan.time)} ago)`;
}

function age(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return seconds < 172_800 ? `${Math.round(seconds / 3600)}h` : `${Math.round(seconds / 86_400)}d`;
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}
