import { describe, expect, it } from 'vitest';
import { chartOriginOf, parseHelmSource, releaseOf } from './chart-source';

describe('spec.helm', () => {
  it('accepts an OCI chart in ECR with a semver range and fills the defaults', () => {
    const parsed = parseHelmSource({
      chart: { oci: 'oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web', version: '>=1.4.0 <2' },
    });
    expect(parsed.ok && parsed.source).toEqual({
      chart: { oci: 'oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web', version: '>=1.4.0 <2' },
      valuesFiles: [],
      valuesFrom: [],
      values: {},
    });
  });

  it('accepts a chart repository with its chart name, and a chart in Git', () => {
    expect(
      parseHelmSource({ chart: { repository: 'https://charts.example.com', name: 'web', version: '1.x' } }).ok,
    ).toBe(true);
    expect(parseHelmSource({ chart: { path: 'charts/web' }, valuesFiles: ['values-prod.yaml'] }).ok).toBe(true);
  });

  it('defaults valuesFrom keys to values.yaml as Flux does', () => {
    const parsed = parseHelmSource({ chart: { path: 'c' }, valuesFrom: [{ kind: 'Secret', name: 'web-values' }] });
    expect(parsed.ok && parsed.source.valuesFrom).toEqual([
      { kind: 'Secret', name: 'web-values', valuesKey: 'values.yaml', optional: false },
    ]);
  });

  it.each([
    [{ chart: {} }, 'spec.helm.chart: names no chart. Give exactly one of oci, repository (with name) or path'],
    [
      { chart: { oci: 'oci://r/c', path: 'c' } },
      'spec.helm.chart: names both oci and path. Give exactly one of oci, repository (with name) or path',
    ],
    [{ chart: { repository: 'https://charts.example.com' } }, 'spec.helm.chart.name: is required with repository'],
    [{ chart: { path: 'c', version: '1.0.0' } }, 'spec.helm.chart.version: is not used for a chart in Git'],
    [{ chart: { oci: 'https://r/c' } }, 'spec.helm.chart.oci: is not an OCI chart reference'],
    [{ chart: { oci: 'oci://r/c:1.0.0' } }, 'spec.helm.chart.oci: is not an OCI chart reference'],
    [{ chart: { path: 'c' }, releaseName: 'x'.repeat(54) }, 'spec.helm.releaseName: is longer than the 53 characters'],
    [{ chart: { path: 'c' }, valuesFrom: [{ kind: 'Pod', name: 'x' }] }, 'spec.helm.valuesFrom.0.kind'],
    [{ chart: { path: 'c' }, valuse: {} }, 'spec.helm: Unrecognized key'],
  ])('refuses %j naming the field and the fix', (spec, message) => {
    const parsed = parseHelmSource(spec);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });

  it("releases under the Sync's name and namespace unless told otherwise", () => {
    const sync = { namespace: 'apps', name: 'web' };
    const source = parseHelmSource({ chart: { path: 'c' } });
    const renamed = parseHelmSource({ chart: { path: 'c' }, releaseName: 'shop', targetNamespace: 'prod' });
    expect(source.ok && releaseOf(source.source, sync)).toEqual({ name: 'web', namespace: 'apps' });
    expect(renamed.ok && releaseOf(renamed.source, sync)).toEqual({ name: 'shop', namespace: 'prod' });
  });

  it('names where the chart comes from', () => {
    expect(chartOriginOf({ repository: 'https://c.example.com', name: 'web', version: '1.x' })).toEqual({
      kind: 'repository',
      url: 'https://c.example.com',
      name: 'web',
      version: '1.x',
    });
    expect(chartOriginOf({ path: 'charts/web' })).toEqual({ kind: 'git', path: 'charts/web' });
  });
});
