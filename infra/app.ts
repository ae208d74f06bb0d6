import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../core/config/config-error';
import { parseDeploymentConfig } from '../core/config/parse-deployment-config';
import { TidemarkStack } from './tidemark-stack';

/**
 * The CDK app (`cdk.json` runs it through tsx). The config file is `tidemark.config.yaml` in the working directory
 * unless the `config` context says otherwise (`cdk deploy -c config=prod.config.yaml`); `stackName` names the stack.
 * cdk-nag's AwsSolutions checks run on every synth as a validation plugin, so a finding stops a deploy, not just the
 * tests.
 */
const app = new App();
const configPath: string = app.node.tryGetContext('config') ?? 'tidemark.config.yaml';
const stackName: string = app.node.tryGetContext('stackName') ?? 'Tidemark';

let text: string;
try {
  text = readFileSync(configPath, 'utf8');
} catch (e) {
  console.error(
    `${configPath}: cannot be read (${(e as Error).message}). Create it from the annotated tidemark.config.yaml, or pass -c config=FILE`,
  );
  process.exit(2);
}
try {
  const config = parseDeploymentConfig(text, configPath);
  new TidemarkStack(app, stackName, {
    config,
    configDir: dirname(resolve(configPath)),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT },
  });
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(e.message);
  process.exit(2);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
