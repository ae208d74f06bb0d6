import type { DriftFinding, DriftReport } from '../drift/drift-report';
import { driftFingerprint } from '../drift/drift-report';

/** A report with `n` drifted Deployments, each with one scaled replica count. */
export function reportWith(n: number, cluster = 'prod'): DriftReport {
  const findings: DriftFinding[] = Array.from({ length: n }, (_, i) => ({
    kind: 'modified',
    object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: `web-${i}` },
    fields: [
      {
        path: 'spec.replicas',
        pointer: '/spec/replicas',
        desired: 3,
        live: 5,
        writer: { manager: 'kubectl-scale', operation: 'Update', subresource: 'scale', time: '2026-11-25T10:42:13Z' },
      },
    ],
  }));
  return {
    cluster,
    revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    scannedAt: '2026-11-25T11:00:00.000Z',
    objectsScanned: 100,
    ignoredFields: 0,
    findings,
    fingerprint: driftFingerprint(findings),
  };
}
