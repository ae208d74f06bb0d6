/**
 * Why a chart did not render, as Helm said it, sorted into the reasons a user acts on differently. Each one stops the
 * reconcile before anything is applied or deleted (Stalled): retrying does not help until Git or the cluster changes.
 */
export type ChartFailureReason =
  /** A `required` value is missing, or the chart's own `fail` fired (`clusterName` for the AWS Load Balancer Controller). */
  | 'ChartValuesRequired'
  /** The values break the chart's `values.schema.json`. */
  | 'ChartValuesInvalid'
  /** The chart's `kubeVersion` constraint excludes the cluster's version. */
  | 'ChartKubeVersionUnsupported'
  /** The chart, or the version asked for, could not be fetched. */
  | 'ChartNotFound'
  /** The registry or chart repository refused the credentials. */
  | 'ChartAuthFailed'
  /** Its TLS certificate is not signed by a CA the agent trusts (a company CA not given as `ca.crt`). */
  | 'ChartServerUntrusted'
  /** `dependencies:` in Chart.yaml that are not vendored in `charts/`. */
  | 'ChartDependenciesMissing'
  /** Anything else Helm reported (a template error, invalid YAML out of a template). */
  | 'ChartRenderFailed';

export interface ChartFailure {
  reason: ChartFailureReason;
  /** Helm's message, without its `Error: ` prefix and debugging hints, with secret values masked. */
  message: string;
}

/**
 * Sorts Helm's error output into a {@link ChartFailure}, masking every secret value given (values read from Secrets,
 * registry passwords), since a template error can quote the value it failed on and the message goes into the Sync's
 * status, its Events and the agent's log.
 *
 * @example
 * chartFailureOf('Error: execution error at (alb/templates/deployment.yaml:1:3): Chart cannot be installed without a valid clusterName!', []);
 * // { reason: 'ChartValuesRequired', message: 'execution error at (…): Chart cannot be installed without a valid clusterName!' }
 */
export function chartFailureOf(stderr: string, secrets: readonly string[]): ChartFailure {
  const message = mask(
    stderr
      .replace(/\n\nUse --debug flag to render out invalid YAML\s*$/, '')
      .split('\n')
      .filter((line) => !/^(WARNING|walk\.go|install\.go|coalesce\.go):?/.test(line.trim()))
      .join('\n')
      .replace(/^Error: /m, '')
      .trim(),
    secrets,
  );
  return { reason: reasonOf(message), message };
}

function reasonOf(message: string): ChartFailureReason {
  if (/found in Chart\.yaml, but missing in charts\/ directory/.test(message)) return 'ChartDependenciesMissing';
  if (/values don't meet the specifications of the schema/.test(message)) return 'ChartValuesInvalid';
  if (/chart requires kubeVersion: .* which is incompatible with Kubernetes/.test(message))
    return 'ChartKubeVersionUnsupported';
  if (/x509:|failed to verify certificate|certificate signed by unknown authority/.test(message))
    return 'ChartServerUntrusted';
  if (/\b(401|403)\b|unauthorized|denied|authentication required/i.test(message)) return 'ChartAuthFailed';
  if (/execution error at \(/.test(message)) return 'ChartValuesRequired';
  if (/not found|no such host|failed to fetch|no chart version|no chart name|could not find/i.test(message))
    return 'ChartNotFound';
  return 'ChartRenderFailed';
}

/** Replaces every secret value of 4 characters or more (shorter ones would mask ordinary words) with `***`. */
export function mask(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    masked = masked.split(secret).join('***');
  }
  return masked;
}
