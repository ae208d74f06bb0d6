import { describe, expect, it } from 'vitest';
import { mirrorChart, parseChartMirrors } from './chart-mirrors';

describe('chart mirrors (TIDEMARK_CHART_MIRRORS)', () => {
  const mirrors = parseChartMirrors(`
- from: https://stefanprodan.github.io/podinfo/
  to: oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror
- from: oci://ghcr.io/fluxcd-community/charts
  to: oci://registry.internal/charts
  secretRef: { namespace: tidemark-system, name: registry-internal }
- from: https://charts.jetstack.io
  to: https://charts.internal.example.com/jetstack
`);

  it('sends an HTTPS chart repository to an OCI prefix, keeping name and version', () => {
    expect(
      mirrorChart({ repository: 'https://stefanprodan.github.io/podinfo', name: 'podinfo', version: '6.x' }, mirrors),
    ).toEqual({
      chart: { oci: 'oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/podinfo', version: '6.x' },
      mirror: mirrors[0],
    });
  });

  it('moves an OCI chart under another prefix and to another repository, with the mirror credentials', () => {
    expect(mirrorChart({ oci: 'oci://ghcr.io/fluxcd-community/charts/metrics-server' }, mirrors)).toEqual({
      chart: { oci: 'oci://registry.internal/charts/metrics-server' },
      mirror: mirrors[1],
    });
    expect(
      mirrorChart({ repository: 'https://charts.jetstack.io', name: 'cert-manager', version: '1.16.1' }, mirrors).chart,
    ).toEqual({ repository: 'https://charts.internal.example.com/jetstack', name: 'cert-manager', version: '1.16.1' });
  });

  it('leaves charts in Git and charts of other places alone; a prefix must match a whole path segment', () => {
    expect(mirrorChart({ path: 'charts/web' }, mirrors)).toEqual({ chart: { path: 'charts/web' } });
    expect(mirrorChart({ oci: 'oci://ghcr.io/fluxcd-community/charts-extra/x' }, mirrors).mirror).toBeUndefined();
  });

  it('is empty when unset, and names the entry and the fix when wrong', () => {
    expect(parseChartMirrors(undefined)).toEqual([]);
    expect(parseChartMirrors('  ')).toEqual([]);
    expect(() => parseChartMirrors('- from: oci://ghcr.io/x\n  to: https://charts.example.com\n')).toThrow(
      /^TIDEMARK_CHART_MIRRORS\[0\]\.to: must be an oci:\/\/ prefix too/,
    );
    expect(() => parseChartMirrors('- from: ftp://x\n  to: oci://y/z\n')).toThrow(
      /^TIDEMARK_CHART_MIRRORS\[0\]\.from: is not an https:\/\/ chart repository or an oci:\/\/ prefix\. Write a list/,
    );
  });
});
