import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error';
import { isIgnored, parseIgnoreRules } from './ignore-rules';

const web = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', labels: { tier: 'front' } };
const hpa = { manager: 'kube-controller-manager', operation: 'Update', subresource: 'scale' };

describe('.tidemark/drift.yaml', () => {
  it('reads the example config repo rule', async () => {
    const { readFile } = await import('node:fs/promises');
    const rules = parseIgnoreRules(await readFile('examples/config-repo/.tidemark/drift.yaml', 'utf8'));
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.every((r) => r.fieldsOwnedBy !== undefined)).toBe(true);
  });

  it('treats a missing or empty file as no rules', () => {
    expect(parseIgnoreRules(undefined)).toEqual([]);
    expect(parseIgnoreRules('')).toEqual([]);
  });

  it('names the bad key and the fix', () => {
    expect(() => parseIgnoreRules('ignore:\n  - target: { kind: Deployment }\n')).toThrow(
      ".tidemark/drift.yaml: ignore[0]: names no fields. Give it 'paths', 'fieldsOwnedBy' or both",
    );
    expect(() => parseIgnoreRules('ignore:\n  - paths: [spec.replicas]\n')).toThrow(ConfigError);
    expect(() => parseIgnoreRules('ignore:\n  - paths: [spec.replicas]\n')).toThrow(/'\/spec\/replicas'/);
    expect(() => parseIgnoreRules('ignore: [\n')).toThrow(/is not valid YAML/);
  });

  it('ignores fields by their last writer, optionally only through a subresource', () => {
    const rules = parseIgnoreRules('ignore:\n  - fieldsOwnedBy: [kube-controller-manager]\n    subresource: scale\n');
    expect(isIgnored(rules, web, '/spec/replicas', hpa)).toBe(true);
    expect(isIgnored(rules, web, '/spec/replicas', { ...hpa, subresource: undefined })).toBe(false);
    expect(isIgnored(rules, web, '/spec/replicas', { manager: 'kubectl-edit', operation: 'Update' })).toBe(false);
    expect(isIgnored(rules, web, '/spec/replicas', undefined)).toBe(false);
  });

  it('selects targets by group, kind, namespace, name and labels', () => {
    const rules = parseIgnoreRules(
      'ignore:\n  - paths: [/spec/replicas]\n    target: { group: apps, kind: Deployment, namespace: shop, labels: { tier: front } }\n',
    );
    expect(isIgnored(rules, web, '/spec/replicas', undefined)).toBe(true);
    expect(isIgnored(rules, { ...web, labels: {} }, '/spec/replicas', undefined)).toBe(false);
    expect(isIgnored(rules, { ...web, apiVersion: 'v1' }, '/spec/replicas', undefined)).toBe(false);
    expect(isIgnored(rules, { ...web, namespace: 'other' }, '/spec/replicas', undefined)).toBe(false);
  });

  it('matches a pointer prefix and one-segment wildcards, with ~1 for a slash in a key', () => {
    const rules = parseIgnoreRules(
      "ignore:\n  - paths: ['/metadata/annotations/example.com~1owner', /spec/template/spec/containers/*/image]\n",
    );
    expect(isIgnored(rules, web, '/metadata/annotations/example.com~1owner', undefined)).toBe(true);
    expect(isIgnored(rules, web, '/spec/template/spec/containers/3/image', undefined)).toBe(true);
    expect(isIgnored(rules, web, '/spec/template/spec/containers/3/env', undefined)).toBe(false);
    expect(isIgnored(rules, web, '/spec', undefined)).toBe(false);
  });

  it('needs every stated condition: a path and an owner together', () => {
    const rules = parseIgnoreRules(
      'ignore:\n  - paths: [/spec/replicas]\n    fieldsOwnedBy: kube-controller-manager\n',
    );
    expect(isIgnored(rules, web, '/spec/replicas', hpa)).toBe(true);
    expect(isIgnored(rules, web, '/spec/paused', hpa)).toBe(false);
  });
});
