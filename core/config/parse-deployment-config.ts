import { parseDocument } from 'yaml';
import { ConfigError } from './config-error';
import { type DeploymentConfig, validateDeploymentConfig } from './deployment-config';

// Apart from deployment-config.ts so that the functions, which read the config as JSON, do not bundle a YAML parser.

/** Parses and validates `tidemark.config.yaml` text. `source` names the file in errors. */
export function parseDeploymentConfig(text: string, source = 'tidemark.config.yaml'): DeploymentConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(source, `is not valid YAML (${e.message.split('\n')[0]})`, 'Fix the YAML syntax', {
      cause: e,
    });
  }
  return validateDeploymentConfig(doc.toJS(), source);
}
