import { describe, expect, it } from 'vitest';
import { isFromCrdsFolder, splitChartOutput } from './rendered-chart';

describe('splitChartOutput', () => {
  it('names each document by the template Helm says it came from', () => {
    const output = [
      '---',
      '# Source: karpenter/crds/karpenter.sh_nodepools.yaml',
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      '---',
      '# Source: karpenter/templates/serviceaccount.yaml',
      'apiVersion: v1',
      'kind: ServiceAccount',
      '',
    ].join('\n');
    expect(splitChartOutput(output).map((d) => d.path)).toEqual([
      'karpenter/crds/karpenter.sh_nodepools.yaml',
      'karpenter/templates/serviceaccount.yaml',
    ]);
  });

  it('names the documents of a crds/ file, which brings its own --- after the Source line', () => {
    const output = [
      '---',
      '# Source: karpenter/crds/karpenter.sh_nodepools.yaml',
      '---',
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      '---',
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
    ].join('\n');
    expect(splitChartOutput(output).map((d) => d.path)).toEqual([
      'karpenter/crds/karpenter.sh_nodepools.yaml',
      'karpenter/crds/karpenter.sh_nodepools.yaml',
    ]);
  });

  it('tells crds/ files, also of subcharts, from templates that render CRDs', () => {
    expect(isFromCrdsFolder('karpenter/crds/karpenter.sh_nodepools.yaml')).toBe(true);
    expect(isFromCrdsFolder('web/charts/karpenter/crds/x.yaml')).toBe(true);
    expect(isFromCrdsFolder('karpenter-crd/templates/karpenter.sh_nodepools.yaml')).toBe(false);
  });
});
