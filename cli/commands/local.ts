import type { Command } from 'commander';
import { exportsFor } from '../../local/environment';
import { down, environmentHealth, readEnvironment, up } from '../../local/local-environment';

/** `tidemark local up|down|status|env`: the embedded environment on loopback (DESIGN.md). Exit 0 ok, 1 failed. */
export function register(program: Command): void {
  const local = program
    .command('local')
    .description(
      'start, stop and inspect the embedded local environment (Kubernetes, git, AWS emulator, Slack receiver)',
    );

  local
    .command('up')
    .description('start the local environment in the background, or reuse the running one')
    .action(async () => {
      const started = Date.now();
      try {
        const env = await up((line) => console.error(`tidemark: ${line}`));
        console.error(`tidemark: local environment ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
        console.log(`kubeconfig: ${env.kube.kubeconfigPath}`);
        console.log(`git:        ${env.git.exampleRepoUrl} (user ${env.git.username})`);
        console.log(`aws:        ${env.aws.endpoint}`);
        console.log(`slack:      ${env.slack.webhookUrl}`);
        console.log('Run `eval "$(npx tidemark local env)"` to point kubectl, git and the AWS SDK at it.');
      } catch (e) {
        console.error(`tidemark: ${(e as Error).message}`);
        process.exitCode = 1;
      }
    });

  local
    .command('down')
    .description('stop every component of the local environment (by the process ids recorded at start)')
    .action(async () => {
      await down();
      console.error('tidemark: local environment stopped');
    });

  local
    .command('status')
    .description('show which components run and are healthy')
    .option('--output <format>', 'text or json', 'text')
    .action(async (opts: { output: string }) => {
      const env = readEnvironment();
      if (!env) {
        console.error('tidemark: no local environment; start one with `tidemark local up`');
        process.exitCode = 1;
        return;
      }
      const health = await environmentHealth(env);
      if (opts.output === 'json') console.log(JSON.stringify(health, null, 2));
      else for (const h of health) console.log(`${h.healthy ? 'ok  ' : 'DOWN'} ${h.name.padEnd(24)} pid ${h.pid}`);
      if (!health.every((h) => h.healthy)) process.exitCode = 1;
    });

  local
    .command('env')
    .description('print export lines for KUBECONFIG, the git server and the AWS endpoint')
    .option('--kubeconfig-path', 'print only the path of the kubeconfig')
    .action((opts: { kubeconfigPath?: boolean }) => {
      const env = readEnvironment();
      if (!env) {
        console.error('tidemark: no local environment; start one with `tidemark local up`');
        process.exitCode = 1;
        return;
      }
      if (opts.kubeconfigPath) return void console.log(env.kube.kubeconfigPath);
      for (const [k, v] of Object.entries(exportsFor(env))) console.log(`export ${k}=${shellQuote(v)}`);
    });
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
