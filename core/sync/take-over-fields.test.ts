import { describe, expect, it } from 'vitest';
import type { KubeObject } from './kube-object';
import { takeOverPatch } from './take-over-fields';

const object = (
  managedFields: NonNullable<KubeObject['metadata']['managedFields']>,
  annotations?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'a', namespace: 'shop', resourceVersion: '42', managedFields, annotations },
});

describe('takeOverPatch', () => {
  it("merges kubectl's fields into ours, guarded by the resourceVersion, and drops last-applied", () => {
    const patch = takeOverPatch(
      object(
        [
          {
            manager: 'kubectl-client-side-apply',
            operation: 'Update',
            apiVersion: 'v1',
            time: 't1',
            fieldsV1: { 'f:data': { 'f:old': {} } },
          },
          {
            manager: 'tidemark',
            operation: 'Apply',
            apiVersion: 'v1',
            time: 't2',
            fieldsV1: { 'f:data': { 'f:new': {} } },
          },
          { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:status': {} } },
        ],
        { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      ),
    );
    expect(patch).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      {
        op: 'replace',
        path: '/metadata/managedFields',
        value: [
          { manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:status': {} } },
          {
            manager: 'tidemark',
            operation: 'Apply',
            apiVersion: 'v1',
            time: 't2',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:data': { 'f:new': {}, 'f:old': {} } },
          },
        ],
      },
      { op: 'remove', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration' },
    ]);
  });

  it('leaves kubectl edit alone: self-heal, not take-over, answers an edit', () => {
    expect(
      takeOverPatch(object([{ manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', fieldsV1: {} }])),
    ).toBeUndefined();
  });
});
