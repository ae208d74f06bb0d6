import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { readDeclarationFolder } from '../../adapters/resources/declaration-sources';
import { DynamoDbResourcesStatusStore } from '../../adapters/resources/dynamodb-status-store';
import { SecretsManagerReader } from '../../adapters/resources/secrets-manager-reader';
import { shown } from '../../core/alerts/describe-drift';
import type { DeploymentConfig } from '../../core/config/deployment-config';
import { parseDeploymentConfig } from '../../core/config/parse-deployment-config';
import { describeProblem } from '../../core/resources/parse-declarations';
import { reconcilersByKind } from '../../core/resources/reconciler';
import { emptyInventory } from '../../core/resources/resource-inventory';
import {
  type ObjectAction,
  type ObjectResult,
  type ResourcesOutcome,
  summariseActions,
} from '../../core/resources/resources-outcome';
import type { ResourceFolderConfig } from '../../core/resources/resources-settings';
import { initialStatus, statusAfterReconcile } from '../../core/resources/resources-status';
import { reconcileFolder } from '../../engine/resources/reconcile-folder';
import { loadReconcilerModule } from '../../engine/resources/reconciler-modules';
import { silentLog } from '../../engine/resources/run-context';

interface ReconcileResourcesOptions {
  config: string;
  folder?: string;
  dryRun?: boolean;
  table?: string;
  output: string;
}

/**
 * `tidemark reconcile-resources DIR [--dry-run]`: one reconcile of a folder of declarations on disk with the Lambda's
 * engine, against the provider your AWS credentials (or the local environment) reach. `--dry-run` observes and prints
 * the plan, field by field, and changes nothing. With a State table (`--table`, `$TIDEMARK_TABLE_NAME`) the plan
 * includes what prune would delete, and a real run records its status there; without one nothing is pruned.
 * Exit 0 applied (or planned), 1 not everything reconciled, 2 the config or folder cannot be used.
 */
export function register(program: Command): void {
  program
    .command('reconcile-resources')
    .description(
      'reconcile a folder of declarations (DNS records, databases, …) once with its reconciler, or print the plan',
    )
    .argument('<dir>', 'folder of <Kind>.tidemark.dev/v1alpha1 declarations, such as resources/dns in a checkout')
    .option('--config <file>', 'the deployment config that maps the folder to its reconciler', 'tidemark.config.yaml')
    .option('--folder <name>', "the folder's name under resources (default: the entry whose path DIR ends with)")
    .option('--dry-run', 'observe and print what would change; change nothing')
    .option('--table <name>', 'State table with the inventory (default: $TIDEMARK_TABLE_NAME)')
    .option('--output <format>', 'text or json', 'text')
    .action(async (dir: string, options: ReconcileResourcesOptions) => {
      process.exitCode = await reconcileResources(dir, options);
    });
}

async function reconcileResources(dir: string, options: ReconcileResourcesOptions): Promise<number> {
  let config: DeploymentConfig;
  let folder: ResourceFolderConfig;
  try {
    config = parseDeploymentConfig(readFileSync(options.config, 'utf8'), options.config);
    folder = folderFor(config, dir, options.folder);
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 2;
  }
  const table = options.table ?? process.env.TIDEMARK_TABLE_NAME;
  const store = table ? new DynamoDbResourcesStatusStore(table) : undefined;
  try {
    const reconcilers = reconcilersByKind(
      await loadReconcilerModule(folder.reconciler, dirname(resolve(options.config))),
    );
    const files = await readDeclarationFolder(dir);
    const loaded = await store?.load(folder.name);
    if (!store)
      console.error(
        'tidemark: no State table given, so nothing this folder applied before is known and nothing is pruned',
      );
    const { outcome } = await reconcileFolder(
      {
        folder,
        reconcilers,
        files,
        revision: 'local',
        previous: loaded?.status.inventory ?? emptyInventory,
        dryRun: options.dryRun ?? false,
      },
      { secrets: new SecretsManagerReader(), log: silentLog },
    );
    if (store && !options.dryRun) {
      const previous = loaded?.status ?? initialStatus(folder.name, folder.path);
      await store.save(statusAfterReconcile(previous, outcome, new Date()), loaded?.version);
    }
    print(outcome, options);
    return outcome.kind === 'applied' ? 0 : 1;
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 2;
  }
}

/** The `resources[]` entry for DIR: named with --folder, or the one whose path DIR is (or ends with). */
function folderFor(config: DeploymentConfig, dir: string, name: string | undefined): ResourceFolderConfig {
  const folders = config.resources;
  if (name !== undefined) {
    const found = folders.find((f) => f.name === name);
    if (!found) throw new Error(`--folder ${name}: no such entry under resources (known: ${names(folders)})`);
    return found;
  }
  const path = relative(process.cwd(), resolve(dir)).replaceAll('\\', '/');
  const matches = folders.filter((f) => path === f.path || path.endsWith(`/${f.path}`));
  if (matches.length === 1) return matches[0]!;
  throw new Error(
    `${dir} is not the path of one folder under resources (known: ${names(folders)}). Name it with --folder`,
  );
}

const names = (folders: readonly ResourceFolderConfig[]) =>
  folders.map((f) => `${f.name} (${f.path})`).join(', ') || 'none';

/** What a dry run says it would do, in the imperative. */
const planned: Record<ObjectAction, string> = {
  created: 'create',
  updated: 'update',
  adopted: 'adopt',
  unchanged: 'unchanged',
  deleted: 'delete',
  retained: 'retain',
  conflict: 'conflict',
  failed: 'failed',
  skipped: 'skip',
  waiting: 'waiting',
};

function print(outcome: ResourcesOutcome, options: ReconcileResourcesOptions): void {
  if (options.output === 'json') {
    console.log(JSON.stringify(outcome, null, 2));
    return;
  }
  if (outcome.kind === 'invalid') {
    for (const problem of outcome.problems) console.error(describeProblem(problem));
    console.error('tidemark: the folder has broken declarations; nothing was applied or deleted');
    return;
  }
  if (outcome.kind === 'fetch-failed') {
    console.error(`tidemark: ${outcome.message}`);
    return;
  }
  const width = Math.min(60, Math.max(...outcome.results.map((r) => r.key.length), 10));
  for (const result of outcome.results.filter((r) => r.action !== 'unchanged')) {
    console.log(line(result, width, options.dryRun ?? false));
  }
  console.log(
    options.dryRun ? `Plan: ${planSummary(outcome.results)}; nothing was changed` : summariseActions(outcome.results),
  );
  if ('message' in outcome) console.error(`tidemark: ${outcome.message}`);
}

function line(result: ObjectResult, width: number, dryRun: boolean): string {
  const action = (dryRun ? planned[result.action] : result.action).padEnd(9);
  const changes = result.changes
    .map((c) => (c.from === undefined ? `${c.path} ${shown(c.to)}` : `${c.path} ${shown(c.from)} → ${shown(c.to)}`))
    .join(', ');
  const details = [changes, result.message, result.reverted ? '(changed outside Git)' : ''].filter(Boolean).join('; ');
  return `${result.key.padEnd(width)}  ${action} ${details}`.trimEnd();
}

/** `2 to create, 1 to update, 1 to delete, 10 unchanged`. */
function planSummary(results: readonly ObjectResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const order: [ObjectAction, string][] = [
    ['created', 'to create'],
    ['updated', 'to update'],
    ['adopted', 'to adopt'],
    ['deleted', 'to delete'],
    ['retained', 'to retain'],
    ['conflict', 'in conflict'],
    ['failed', 'failed'],
    ['waiting', 'waiting'],
    ['skipped', 'to skip'],
    ['unchanged', 'unchanged'],
  ];
  const parts = order.filter(([a]) => counts.get(a)).map(([a, words]) => `${counts.get(a)} ${words}`);
  return parts.join(', ') || 'nothing declared';
}
