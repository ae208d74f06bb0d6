import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusPath } from '../../test/support/corpus';
import { usesRandomness } from './generated-fields';
import { templatesUsingLookup } from './lookup-templates';

function chartFiles(chart: string): { path: string; text: string }[] {
  const root = corpusPath('helm-charts', chart);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ya?ml|tpl|txt)$/.test(e.name))
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path: relative(root, path), text: readFileSync(path, 'utf8') };
    });
}

describe('templatesUsingLookup, on the corpus charts', () => {
  it('finds metrics-server calling lookup directly in its APIService template', () => {
    expect([...templatesUsingLookup(chartFiles('metrics-server'), 'metrics-server')]).toEqual([
      'metrics-server/templates/apiservice.yaml',
    ]);
  });

  it("finds the AWS Load Balancer Controller's webhook template, which looks up through a helper in _helpers.tpl", () => {
    expect(templatesUsingLookup(chartFiles('aws-load-balancer-controller'), 'aws-load-balancer-controller')).toContain(
      'aws-load-balancer-controller/templates/webhook.yaml',
    );
  });

  it("finds redis's Secret, which looks up through the vendored common library chart's passwords helper", () => {
    expect(templatesUsingLookup(chartFiles('redis'), 'redis')).toContain('redis/templates/secret.yaml');
  });

  it('finds nothing in podinfo, which never calls lookup', () => {
    expect(templatesUsingLookup(chartFiles('podinfo'), 'podinfo').size).toBe(0);
  });
});

describe('usesRandomness, on the corpus charts', () => {
  it('is true for charts with randAlphaNum or genCA in their templates, false for karpenter-crd', () => {
    expect(usesRandomness(chartFiles('redis'))).toBe(true);
    expect(usesRandomness(chartFiles('aws-load-balancer-controller'))).toBe(true);
    expect(usesRandomness(chartFiles('karpenter-crd'))).toBe(false);
  });
});
