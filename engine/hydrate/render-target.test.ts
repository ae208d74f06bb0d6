import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRenderTargets } from '../../core/hydrate/render-targets';
import { corpusPath } from '../../test/support/corpus';
import { NondeterministicRenderError, RendersInCiError, renderTarget } from './render-target';

/** A checkout holding the corpus charts under `charts/`. */
function checkoutWithCharts(): string {
  const root = mkdtempSync(join(tmpdir(), 'tidemark-render-target-'));
  cpSync(corpusPath('helm-charts', 'podinfo'), join(root, 'charts/podinfo'), { recursive: true });
  cpSync(corpusPath('helm-charts', 'aws-load-balancer-controller'), join(root, 'charts/alb'), { recursive: true });
  return root;
}

const target = (source: string, name = 't') =>
  parseRenderTargets(
    `targets:\n  - name: ${name}\n    source: ${source}\n    destination: { branch: rendered/x }\n`,
  )[0]!;

describe('renderTarget', () => {
  it('renders a chart in Git with its release namespace written on every namespaced object, and no test hooks', async () => {
    const root = checkoutWithCharts();
    const rendered = await renderTarget(
      root,
      target('{ helm: { chart: { path: charts/podinfo }, namespace: shop, releaseName: web } }'),
      'lambda',
    );
    expect([...rendered.files.keys()]).toEqual(['shop/Deployment-web-podinfo.yaml', 'shop/Service-web-podinfo.yaml']);
    expect(rendered.files.get('shop/Deployment-web-podinfo.yaml')).toContain('namespace: shop');
    expect(rendered.commands[0]).toBe('helm template web charts/podinfo --namespace shop --include-crds --skip-tests');
  });

  it('refuses a chart whose render differs between two runs, naming the template and the fields', async () => {
    const root = checkoutWithCharts();
    const alb = target(
      '{ helm: { chart: { path: charts/alb }, namespace: kube-system, values: { clusterName: prod } } }',
      'alb',
    );
    const error = await renderTarget(root, alb, 'lambda').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NondeterministicRenderError);
    expect((error as Error).message).toMatch(
      /^aws-load-balancer-controller\/templates\/webhook\.yaml: rendered Secret\/kube-system\/.*differently on a second run of target alb/,
    );
  });

  it('refuses a program whose output differs between two runs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tidemark-render-target-'));
    const program =
      'printf \'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a, namespace: x}\\ndata: {at: "%s"}\\n\' $(date +%N)';
    const clock = target(`{ command: { path: ., run: [sh, -c, '${program.replaceAll("'", "''")}'] } }`, 'clock');
    const error = await renderTarget(root, clock, 'local').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NondeterministicRenderError);
    expect((error as Error).message).toMatch(/rendered ConfigMap\/x\/a differently on a second run of target clock/);
  });

  it('leaves program generators to tidemark render in CI', async () => {
    const error = await renderTarget(tmpdir(), target('{ cdk8s: { path: app } }'), 'lambda').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RendersInCiError);
    expect((error as Error).message).toMatch(/Render it with 'tidemark render' in CI/);
  });
});
