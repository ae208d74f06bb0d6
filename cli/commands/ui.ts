import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDeploymentConfig } from '../../core/config/parse-deployment-config';
import { startUi } from '../ui/server';

interface UiCommandOptions {
  kubeconfig?: string;
  port: string;
  cluster?: string;
  table?: string;
  namespace?: string;
  config: string;
  checkout?: string;
}

/**
 * `tidemark ui [--kubeconfig K] [--port P]`: a local, read-only web view of the cluster's Syncs (live), each Sync's
 * objects, conditions and events, a revision's timeline from push to healthy, drift with who changed it, and
 * promotions. Listens on 127.0.0.1 only, prints its URL and opens nothing; runs until interrupted.
 */
export function register(program: Command): void {
  program
    .command('ui')
    .description('a local web view of Syncs, timelines and drift (127.0.0.1 only; prints the URL)')
    .option('--kubeconfig <path>', 'kubeconfig to use')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', '7420')
    .option(
      '--cluster <name>',
      "Tidemark's name of the cluster (default: the only cluster of --config, or the context)",
    )
    .option('--table <name>', 'the State table with deployment events and drift (default: $TIDEMARK_TABLE_NAME)')
    .option('-n, --namespace <ns>', 'only the Syncs of this namespace (default: every namespace you may list)')
    .option('--config <file>', 'deployment config naming the clusters', 'tidemark.config.yaml')
    .option(
      '--checkout <dir>',
      'a checkout of the config repo, for the Promotions page (its .tidemark/promotions.yaml)',
    )
    .action(async (options: UiCommandOptions) => {
      process.exitCode = await ui(options);
    });
}

async function ui(options: UiCommandOptions): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`tidemark: --port '${options.port}' is not a port. Use a number from 0 to 65535`);
    return 2;
  }
  let running: Awaited<ReturnType<typeof startUi>>;
  try {
    running = await startUi({
      port,
      ...((options.cluster ?? clusterFromConfig(options.config))
        ? { cluster: options.cluster ?? clusterFromConfig(options.config) }
        : {}),
      ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
      ...((options.table ?? process.env.TIDEMARK_TABLE_NAME)
        ? { table: options.table ?? process.env.TIDEMARK_TABLE_NAME }
        : {}),
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.checkout ? { checkout: options.checkout } : {}),
    });
  } catch (error) {
    console.error(`tidemark: ${(error as Error).message}`);
    return 1;
  }
  console.log(`tidemark ui: ${running.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return 0;
}

/** The cluster's name when the deployment config has exactly one; with several, `--cluster` says which. */
function clusterFromConfig(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const clusters = parseDeploymentConfig(readFileSync(file, 'utf8'), file).clusters;
    return clusters.length === 1 ? clusters[0]!.name : undefined;
  } catch {
    return undefined;
  }
}
