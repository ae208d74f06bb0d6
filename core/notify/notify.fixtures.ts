import { type DeploymentEvent, type DeploymentEventInput, deploymentEvent } from './deployment-event';

export const R1 = '1111111111111111111111111111111111111111';
export const R2 = '2222222222222222222222222222222222222222';
export const R3 = '3333333333333333333333333333333333333333';

const t0 = Date.parse('2026-11-25T10:00:00Z');
/** `seconds` after 10:00 UTC on the fixtures' day, as ISO. */
export const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
export const now = (seconds: number) => new Date(t0 + seconds * 1000);

/** An event as the agent sends it; `seconds` sets its time. */
export function event(
  kind: DeploymentEvent['kind'],
  seconds: number,
  overrides: Partial<DeploymentEventInput> = {},
): DeploymentEvent {
  const defaults: Record<DeploymentEvent['kind'], Partial<DeploymentEventInput>> = {
    deployed: { revision: R1, reason: 'ReconciliationSucceeded', message: `Applied revision ${R1}` },
    failed: {
      revision: R2,
      reason: 'RenderFailed',
      message:
        'clusters/prod/web.yaml (document 0): is not valid YAML: Nested mappings are not allowed in compact mappings at line 7, column 12. Fix the YAML syntax',
      location: { file: 'clusters/prod/web.yaml', line: 7 },
    },
    degraded: {
      revision: R1,
      reason: 'HealthCheckFailed',
      message: 'Applied revision; 1 objects failed: Deployment/shop/web: ProgressDeadlineExceeded',
    },
    recovered: { revision: R1, reason: 'Recovered', message: 'Healthy again after RenderFailed' },
    healed: {
      revision: R1,
      reason: 'Healed',
      message: 'Deployment/shop/web was changed by kubectl-scale; re-applied from Git',
      heal: { object: 'Deployment/shop/web', changedBy: 'kubectl-scale' },
    },
    suspended: { revision: R1, reason: 'Suspended', message: 'spec.suspend is true' },
    resumed: { revision: R1, reason: 'Resumed', message: 'spec.suspend is false' },
  };
  return deploymentEvent({
    at: at(seconds),
    cluster: 'prod',
    sync: { namespace: 'shop', name: 'web' },
    repo: 'https://github.com/acme/config.git',
    subject: 'Update web to 1.2.0',
    kind,
    health: { current: 3, inProgress: 0, failed: 0, notReady: [] },
    changes: { created: 0, configured: 1, deleted: 0 },
    images: [{ name: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.2.0', digest: null }],
    reason: 'ReconciliationSucceeded',
    ...defaults[kind],
    ...overrides,
  });
}

/** The same Sync name in `n` variants: `shop/web-0` … */
export function syncs(n: number): { namespace: string; name: string }[] {
  return Array.from({ length: n }, (_, i) => ({ namespace: 'shop', name: `web-${i}` }));
}
