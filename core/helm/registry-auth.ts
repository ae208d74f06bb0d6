/**
 * Which credentials a chart registry takes, decided from its host: an ECR registry gets a token from
 * `GetAuthorizationToken` signed with the agent's own AWS identity (EKS Pod Identity), so no one runs a CronJob to
 * refresh a 12-hour token into a Secret (Argo CD's #8952, #10218); any other registry or chart repository takes the
 * username and password of the Sync's `spec.helm.chart.secretRef`.
 */
export type RegistryAuth =
  | { kind: 'ecr'; registryId: string; region: string }
  | { kind: 'secret'; name: string }
  | { kind: 'anonymous' };

const ecrHost = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** @example registryAuthFor('oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts/web') // { kind: 'ecr', … } */
export function registryAuthFor(chartUrl: string, secretName?: string): RegistryAuth {
  if (secretName !== undefined) return { kind: 'secret', name: secretName };
  const host = /^(?:oci|https?):\/\/([^/:]+)/.exec(chartUrl)?.[1] ?? '';
  const ecr = ecrHost.exec(host);
  if (ecr) return { kind: 'ecr', registryId: ecr[1] as string, region: ecr[2] as string };
  return { kind: 'anonymous' };
}

/**
 * True when a cached ECR token should be replaced before use: ECR tokens last 12 hours; one is renewed an hour
 * before it expires, so a render that starts just before expiry never pulls with a token that lapses mid-way.
 */
export function tokenNeedsRefresh(expiresAt: Date, now: Date, marginMs = 60 * 60_000): boolean {
  return expiresAt.getTime() - now.getTime() <= marginMs;
}
