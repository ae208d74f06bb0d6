import { describe, expect, it } from 'vitest';
import { liveDeployment } from './drift.fixtures';
import { driftedFields, withoutIgnored } from './drifted-fields';
import { parseIgnoreRules } from './ignore-rules';

const subject = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', labels: { app: 'web' } };

describe('driftedFields', () => {
  it('finds nothing when the live object only adds server defaults, status and bookkeeping', () => {
    // The dry-run result of applying Git to an untouched object is the live object itself.
    expect(driftedFields(liveDeployment(), liveDeployment())).toEqual([]);
  });

  it('names the field, both values and the manager that last wrote it, and when', () => {
    const fields = driftedFields(liveDeployment(), liveDeployment({ replicas: 5 }));
    expect(fields).toEqual([
      {
        path: 'spec.replicas',
        pointer: '/spec/replicas',
        desired: 2,
        live: 5,
        writer: { manager: 'kubectl-scale', operation: 'Update', subresource: 'scale', time: '2026-11-25T10:42:13Z' },
      },
    ]);
  });

  it('matches containers by name and attributes a keyed list element through k:{"name":…}', () => {
    const [field] = driftedFields(liveDeployment(), liveDeployment({ image: 'web:6.6.6' }));
    expect(field?.path).toBe('spec.template.spec.containers[name=web].image');
    expect(field?.pointer).toBe('/spec/template/spec/containers/0/image');
    expect(field?.writer?.manager).toBe('kubectl-set');
  });

  it('reports a label change before spec changes', () => {
    const live = liveDeployment({ replicas: 4 });
    live.metadata!.labels = { app: 'web', tier: 'hacked' };
    expect(driftedFields(liveDeployment(), live).map((f) => f.path)).toEqual(['metadata.labels.tier', 'spec.replicas']);
  });

  it('ignores the last-applied annotation, managedFields, resourceVersion, generation, uid and status', () => {
    const live = liveDeployment();
    live.metadata!.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    live.metadata!.resourceVersion = '1';
    live.status = { replicas: 0 };
    const afterApply = liveDeployment();
    afterApply.metadata!.annotations = {};
    expect(driftedFields(afterApply, live)).toEqual([]);
  });

  it('masks Secret values but keeps their keys', () => {
    const secret = (password: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'shop' },
      data: { password: Buffer.from(password).toString('base64') },
    });
    const fields = driftedFields(secret('git-password'), secret('hand-set'));
    expect(fields).toEqual([
      { path: 'data.password', pointer: '/data/password', desired: '(hidden)', live: '(hidden)' },
    ]);
    expect(JSON.stringify(fields)).not.toContain(Buffer.from('hand-set').toString('base64'));
  });

  it('masks every value of a whole data or stringData map that one side lacks', () => {
    const base = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' } };
    const withData = { ...base, data: { password: 'aHVudGVyMg==' } };
    expect(driftedFields(withData, base)).toEqual([
      { path: 'data', pointer: '/data', desired: { password: '(hidden)' }, live: undefined },
    ]);
    expect(driftedFields(base, withData).map((f) => f.live)).toEqual([{ password: '(hidden)' }]);
    // stringData is compared as the data it is stored as; its values are masked all the same.
    const fields = driftedFields({ ...base, stringData: { token: 'hunter3' } }, base);
    expect(JSON.stringify(fields)).not.toContain('hunter3');
    expect(fields.map((f) => f.desired)).toEqual([{ token: '(hidden)' }]);
    expect(driftedFields({ ...base, data: 'not-a-map' }, base)[0]?.desired).toBe('(hidden)');
  });
});

describe('withoutIgnored', () => {
  it('drops fields the named manager wrote through the scale subresource, and counts them', () => {
    const rules = parseIgnoreRules('ignore:\n  - fieldsOwnedBy: kubectl-scale\n    subresource: scale\n');
    const fields = driftedFields(liveDeployment(), liveDeployment({ replicas: 5, image: 'web:2' }));
    const kept = withoutIgnored(fields, subject, rules);
    expect(kept.ignored).toBe(1);
    expect(kept.fields.map((f) => f.path)).toEqual(['spec.template.spec.containers[name=web].image']);
  });

  it('drops a path under a JSON Pointer for the targeted object only', () => {
    const rules = parseIgnoreRules(
      'ignore:\n  - paths: [/spec/template/spec/containers/*/image]\n    target: { kind: Deployment, name: web }\n',
    );
    const fields = driftedFields(liveDeployment(), liveDeployment({ image: 'web:2' }));
    expect(withoutIgnored(fields, subject, rules).fields).toEqual([]);
    expect(withoutIgnored(fields, { ...subject, name: 'api' }, rules).fields).toHaveLength(1);
  });
});
