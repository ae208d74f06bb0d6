import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { corpusPath } from '../../test/support/corpus';
import type { KubeObject } from '../sync/kube-object';
import { fluxReleasesIn } from './flux-helm-release';

/** An overlay of fluxcd/flux2-kustomize-helm-example built as the agent builds it (kubectl kustomize). */
function built(path: string): KubeObject[] {
  const text = execFileSync(
    process.env.TIDEMARK_KUBECTL || 'kubectl',
    ['kustomize', corpusPath('flux2-kustomize-helm-example', path)],
    {
      encoding: 'utf8',
    },
  );
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
}

describe('fluxReleasesIn, on the Flux example repo', () => {
  it('reads the staging podinfo HelmRelease and its HelmRepository as a release of a chart repository', () => {
    const { releases, rest, problems } = fluxReleasesIn(built('apps/staging'));
    expect(problems).toEqual([]);
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({
      origin: 'HelmRelease/podinfo/podinfo',
      source: {
        chart: { repository: 'https://stefanprodan.github.io/podinfo', name: 'podinfo', version: '>=1.0.0-alpha' },
        releaseName: 'podinfo',
        targetNamespace: 'podinfo',
        values: { redis: { enabled: true, tag: '8.6.2' }, httpRoute: { hostnames: ['podinfo.staging'] } },
      },
    });
    // The Namespace stays to be applied; the Flux objects do not (their CRDs are not installed).
    expect(rest.map((o) => o.kind)).toEqual(['Namespace']);
  });

  it('reads cert-manager from an OCIRepository chartRef with a semver ref', () => {
    const { releases } = fluxReleasesIn(built('infrastructure/controllers'));
    const certManager = releases.find((r) => r.origin === 'HelmRelease/cert-manager/cert-manager');
    expect(certManager?.source.chart).toEqual({ oci: 'oci://quay.io/jetstack/charts/cert-manager', version: '1.x' });
    expect(certManager?.source.releaseName).toBe('cert-manager');
  });

  it('names what it cannot translate instead of doing less', () => {
    const { problems } = fluxReleasesIn([
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'web', namespace: 'apps' },
        spec: { chart: { spec: { chart: './charts/web', sourceRef: { kind: 'GitRepository', name: 'flux-system' } } } },
      },
    ]);
    expect(problems).toEqual([
      'HelmRelease/apps/web: a chart from a GitRepository is not supported; use a HelmRepository or OCIRepository',
    ]);
  });
});
