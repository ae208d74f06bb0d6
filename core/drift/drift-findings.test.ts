import { describe, expect, it } from 'vitest';
import { driftFindingsAfter } from './drift-findings';
import { type DriftFinding, driftReportOf } from './drift-report';

const web = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
const replicas = (live: number) => ({
  path: 'spec.replicas',
  pointer: '/spec/replicas',
  desired: 2,
  live,
  writer: { manager: 'kubectl-scale', operation: 'Update' },
});
const image = { path: 'spec.template.spec.containers[name=web].image', pointer: '/x', desired: 'a', live: 'b' };
const scanned = (findings: DriftFinding[], at: string) => ({
  kind: 'scanned' as const,
  report: driftReportOf({ cluster: 'prod', now: new Date(at), objectsScanned: 3, ignoredFields: 0, findings }),
});

describe('drift findings for the UI', () => {
  it('keeps when a drift was first seen across scans, per finding and per field', () => {
    const first = driftFindingsAfter(
      undefined,
      scanned([{ kind: 'modified', object: web, fields: [replicas(5)] }], '2026-12-01T10:00:00Z'),
      new Date('2026-12-01T10:00:00Z'),
    );
    const second = driftFindingsAfter(
      first,
      scanned([{ kind: 'modified', object: web, fields: [replicas(6), image] }], '2026-12-01T10:15:00Z'),
      new Date('2026-12-01T10:15:00Z'),
    );
    expect(second.findings).toMatchObject([
      {
        kind: 'modified',
        firstSeen: '2026-12-01T10:00:00.000Z',
        fields: [
          { path: 'spec.replicas', live: 6, firstSeen: '2026-12-01T10:00:00.000Z' },
          { path: image.path, firstSeen: '2026-12-01T10:15:00.000Z' },
        ],
      },
    ]);
  });

  it('keeps the last findings through a failing scan, and says since when it fails', () => {
    const first = driftFindingsAfter(
      undefined,
      scanned([{ kind: 'missing', object: web }], '2026-12-01T10:00:00Z'),
      new Date('2026-12-01T10:00:00Z'),
    );
    const failed = driftFindingsAfter(
      first,
      { kind: 'failed', cluster: 'prod', message: 'the config repo is unreachable' },
      new Date('2026-12-01T10:15:00Z'),
    );
    expect(failed.findings).toEqual(first.findings);
    expect(failed.failing).toEqual({ since: '2026-12-01T10:15:00.000Z', message: 'the config repo is unreachable' });
    const back = driftFindingsAfter(failed, scanned([], '2026-12-01T10:30:00Z'), new Date('2026-12-01T10:30:00Z'));
    expect(back.findings).toEqual([]);
    expect(back.failing).toBeUndefined();
  });

  it('keeps the first findings, by object, and counts the rest', () => {
    const many = Array.from(
      { length: 5 },
      (_, i): DriftFinding => ({ kind: 'missing', object: { ...web, name: `w${i}` } }),
    );
    const stored = driftFindingsAfter(undefined, scanned(many, '2026-12-01T10:00:00Z'), new Date(), 3);
    expect(stored.findings.map((f) => ('object' in f ? f.object.name : ''))).toEqual(['w0', 'w1', 'w2']);
    expect(stored.omitted).toBe(2);
  });
});
