import { describe, expect, it } from 'vitest';
import { dryRunChanges, isInSync } from './in-sync';
import type { KubeObject } from './kube-object';

// The managedFields below have the shape the API server records for an apply of `desired` (fieldsV1 trie: `f:`
// fields, `k:` keys of associative lists with defaulted key fields such as a Service port's protocol).
const desired: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
};

const applied = {
  manager: 'tidemark',
  operation: 'Apply' as const,
  apiVersion: 'v1',
  fieldsType: 'FieldsV1',
  fieldsV1: {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} } },
      'f:selector': {},
    },
  },
};

const live = (overrides: { spec?: unknown; managedFields?: unknown[] } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'web',
    namespace: 'shop',
    labels: { app: 'web' },
    resourceVersion: '7',
    managedFields: (overrides.managedFields ?? [applied]) as KubeObject['metadata']['managedFields'],
  },
  spec: overrides.spec ?? {
    clusterIP: '10.0.0.7',
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
    type: 'ClusterIP',
  },
});

describe('isInSync', () => {
  it('is true when we own exactly the fields Git sets and the values match, defaults aside', () => {
    expect(isInSync(desired, live())).toBe(true);
  });

  it('is false when a value we set was changed', () => {
    const changed = live({
      spec: { selector: { app: 'other' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] },
    });
    expect(isInSync(desired, changed)).toBe(false);
  });

  it('is false when Git dropped a field we set last time (the apply would remove it)', () => {
    const withoutLabels = { ...desired, metadata: { name: 'web', namespace: 'shop' } };
    expect(isInSync(withoutLabels, live())).toBe(false);
  });

  it('is false when another manager took a field over, even with the value unchanged', () => {
    const { 'f:metadata': _, ...rest } = applied.fieldsV1;
    const taken = live({
      managedFields: [
        { ...applied, fieldsV1: rest },
        { manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:metadata': {} } },
      ],
    });
    expect(isInSync(desired, taken)).toBe(false);
  });

  it('is false when we never applied the object', () => {
    expect(isInSync(desired, live({ managedFields: [] }))).toBe(false);
  });

  it('is false for a list element someone else added (the dry-run decides)', () => {
    const ports = [
      { port: 80, protocol: 'TCP', targetPort: 8080 },
      { port: 443, protocol: 'TCP', targetPort: 8443 },
    ];
    expect(isInSync(desired, live({ spec: { selector: { app: 'web' }, ports } }))).toBe(false);
  });
});

describe('dryRunChanges', () => {
  it('ignores bookkeeping: resourceVersion, generation, timestamps of managers, status', () => {
    const before = live();
    const after = {
      ...before,
      metadata: { ...before.metadata, resourceVersion: '8', managedFields: [{ ...applied, time: 'later' }] },
      status: { loadBalancer: {} },
    };
    expect(dryRunChanges(before, after)).toBe(false);
  });

  it('sees a value change and a change of the fields we own', () => {
    const before = live();
    expect(dryRunChanges(before, { ...before, spec: { ...(before.spec as object), type: 'NodePort' } })).toBe(true);
    const reowned = { ...before, metadata: { ...before.metadata, managedFields: [{ ...applied, fieldsV1: {} }] } };
    expect(dryRunChanges(before, reowned)).toBe(true);
  });
});
