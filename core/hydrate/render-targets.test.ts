import { describe, expect, it } from 'vitest';
import { parseRenderTargets, RenderConfigError } from './render-targets';

function errorOf(text: string): RenderConfigError {
  try {
    parseRenderTargets(text);
  } catch (e) {
    if (e instanceof RenderConfigError) return e;
    throw e;
  }
  throw new Error('expected a RenderConfigError');
}

describe('.tidemark/render.yaml', () => {
  it('reads kustomize, plain YAML, Helm and CDK8s targets with their destinations', () => {
    const targets = parseRenderTargets(
      [
        'targets:',
        '  - name: web-dev',
        '    source: { kustomize: deploy/overlays/dev/ }',
        '    destination: { branch: rendered/dev }',
        '  - name: plain',
        '    source: { yaml: ./manifests }',
        '    destination: { path: rendered/plain, layout: manifest }',
        '  - name: podinfo',
        '    source:',
        '      helm:',
        '        chart: { path: charts/podinfo }',
        '        namespace: shop',
        '        valuesFiles: [charts/podinfo/values-prod.yaml]',
        '    destination: { branch: rendered/prod, path: podinfo }',
        '  - name: cdk8s-app',
        '    source: { cdk8s: { path: apps/cdk8s } }',
        '    destination: { branch: rendered/cdk8s }',
        '',
      ].join('\n'),
    );
    expect(targets.map((t) => [t.name, t.source.kind, t.destination.branch, t.destination.path, t.line])).toEqual([
      ['web-dev', 'kustomize', 'rendered/dev', '.', 2],
      ['plain', 'yaml', undefined, 'rendered/plain', 5],
      ['podinfo', 'helm', 'rendered/prod', 'podinfo', 8],
      ['cdk8s-app', 'cdk8s', 'rendered/cdk8s', '.', 15],
    ]);
    expect(targets[0]!.source).toEqual({ kind: 'kustomize', path: 'deploy/overlays/dev' });
    expect(targets[1]!.destination.layout).toBe('manifest');
    expect(targets[2]!.source).toMatchObject({ kind: 'helm', releaseName: 'podinfo', namespace: 'shop' });
  });

  it('names the file, line and key of a wrong value, and says what to write instead', () => {
    const e = errorOf(
      [
        'targets:',
        '  - name: web-dev',
        '    source: { kustomize: deploy/dev }',
        '    destination:',
        '      branch: "rendered dev"',
        '',
      ].join('\n'),
    );
    expect(e.file).toBe('.tidemark/render.yaml');
    expect(e.line).toBe(5);
    expect(e.key).toBe('targets[0].destination.branch');
    expect(e.message).toMatch(
      /^\.tidemark\/render\.yaml:5: targets\[0\]\.destination\.branch: is not a branch name .*rendered\/dev/,
    );
  });

  it('refuses a source that names two kinds, or none', () => {
    const e = errorOf(
      'targets:\n  - name: a\n    source: { kustomize: a, yaml: b }\n    destination: { branch: r/a }\n',
    );
    expect(e.message).toMatch(/:3: targets\[0\]\.source: names kustomize and yaml\. Give exactly one/);
  });

  it('refuses a chart from a registry without an exact version: the same dry commit must render the same bytes', () => {
    const e = errorOf(
      [
        'targets:',
        '  - name: podinfo',
        '    source:',
        '      helm:',
        '        chart: { oci: oci://ghcr.io/stefanprodan/charts/podinfo, version: "6.x" }',
        '        namespace: shop',
        '    destination: { branch: rendered/prod }',
        '',
      ].join('\n'),
    );
    expect(e.key).toBe('targets[0].source.helm.chart.version');
    expect(e.message).toMatch(/is not an exact chart version/);
  });

  it('refuses paths that leave the repository, duplicate names and overlapping destinations', () => {
    expect(
      errorOf('targets:\n  - name: a\n    source: { kustomize: ../x }\n    destination: { branch: r }\n').key,
    ).toBe('targets[0].source.kustomize');
    const twice = 'targets:\n  - name: a\n    source: { yaml: x }\n    destination: { branch: r, path: a }\n';
    expect(errorOf(`${twice}${twice.slice('targets:\n'.length)}`).message).toMatch(
      /'a' is also the name of targets\[0\]/,
    );
    const overlap = errorOf(
      'targets:\n  - name: a\n    source: { yaml: x }\n    destination: { branch: r, path: out }\n  - name: b\n    source: { yaml: y }\n    destination: { branch: r, path: out/b }\n',
    );
    expect(overlap.line).toBe(7);
    expect(overlap.message).toMatch(/overlaps 'out' of targets\[0\] on r/);
  });

  it('refuses output on the dry branch where it would overwrite what it renders from', () => {
    expect(errorOf('targets:\n  - name: a\n    source: { yaml: x }\n    destination: { path: . }\n').message).toMatch(
      /root of the dry branch/,
    );
    expect(
      errorOf('targets:\n  - name: a\n    source: { yaml: x }\n    destination: { path: x/out }\n').message,
    ).toMatch(/'x\/out' overlaps 'x'/);
  });

  it('says where invalid YAML is, and what is missing', () => {
    expect(errorOf('targets:\n  - name: a\n    source: { yaml: x\n').message).toMatch(
      /^\.tidemark\/render\.yaml:\d+: \(yaml\): is not valid YAML/,
    );
    const missing = errorOf('targets:\n  - name: a\n    source: { yaml: x }\n');
    expect(missing.key).toBe('targets[0].destination');
    expect(missing.message).toMatch(/is required/);
    expect(missing.line).toBe(2);
  });
});

describe('the annotated example', () => {
  it('is valid', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../examples/config-repo/.tidemark/render.yaml', import.meta.url), 'utf8');
    expect(
      parseRenderTargets(text).map((t) => `${t.name} ${t.source.kind} ${t.destination.branch}:${t.destination.path}`),
    ).toEqual(['prod kustomize rendered/prod:.', 'dev yaml rendered/dev:dev']);
  });
});
