import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../core/config/config-error';
import type { DeploymentConfig } from '../../core/config/deployment-config';
import { parseDeploymentConfig } from '../../core/config/parse-deployment-config';

/**
 * `tidemark config validate [FILE]`: the same validation the CDK app and the functions run, before a deploy.
 * Exit 0 when valid, 2 when not (DESIGN.md, the CLI table); the error names the key and the fix.
 */
export function register(program: Command): void {
  const config = program.command('config').description('check the deployment config (tidemark.config.yaml)');
  config
    .command('validate')
    .description('validate a deployment config file; exit 0 when valid, 2 when not')
    .argument('[file]', 'the config file', 'tidemark.config.yaml')
    .option('--output <format>', 'text or json', 'text')
    .action((file: string, options: { output: string }) => {
      process.exitCode = validate(file, options.output);
    });
}

function validate(file: string, output: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return invalid(
      new ConfigError(
        file,
        `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'Pass the path of tidemark.config.yaml',
      ),
      output,
    );
  }
  let config: DeploymentConfig;
  try {
    config = parseDeploymentConfig(text, file);
  } catch (e) {
    if (e instanceof ConfigError) return invalid(e, output);
    throw e;
  }
  if (output === 'json') {
    console.log(JSON.stringify({ valid: true, file, config }, null, 2));
  } else {
    const clusters = config.clusters.map((c) => `${c.name} (${c.eksClusterName}, ${c.path})`).join(', ');
    console.log(`${file}: valid`);
    console.log(
      `  config repo: ${config.configRepo.url} (${config.configRepo.provider}, branch ${config.configRepo.branch})`,
    );
    console.log(`  clusters in ${config.clusters[0]!.region}: ${clusters}`);
    console.log(`  ECR repositories: ${config.images.ecrRepositories.join(', ')}`);
  }
  return 0;
}

function invalid(error: ConfigError, output: string): number {
  if (output === 'json') console.log(JSON.stringify({ valid: false, key: error.key, message: error.message }, null, 2));
  else console.error(error.message);
  return 2;
}
