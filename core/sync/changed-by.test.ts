import { describe, expect, it } from 'vitest';
import { changedBy } from './changed-by';
import type { KubeObject } from './kube-object';

const desired: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { template: { spec: { containers: [{ name: 'web', image: 'web:1' }] } } },
};

const live = (managedFields: NonNullable<KubeObject['metadata']['managedFields']>): KubeObject => ({
  ...desired,
  metadata: { ...desired.metadata, managedFields },
});

const imageOwned = {
  'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } },
};

describe('changedBy', () => {
  it('names the manager that took a field Git sets, not a controller writing its own fields later', () => {
    const result = changedBy(
      desired,
      live([
        { manager: 'tidemark', operation: 'Apply', time: '2026-01-01T00:00:00Z', fieldsV1: {} },
        { manager: 'kubectl-edit', operation: 'Update', time: '2026-01-01T00:01:00Z', fieldsV1: imageOwned },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          time: '2026-01-01T00:02:00Z',
          fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          subresource: 'status',
          time: '2026-01-01T00:03:00Z',
          fieldsV1: { 'f:status': {} },
        },
      ]),
    );
    expect(result).toBe('kubectl-edit');
  });

  it('is undefined when only we own fields Git sets', () => {
    expect(
      changedBy(desired, live([{ manager: 'tidemark', operation: 'Apply', fieldsV1: imageOwned }])),
    ).toBeUndefined();
  });
});
