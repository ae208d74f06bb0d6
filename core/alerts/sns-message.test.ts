import { describe, expect, it } from 'vitest';
import { reportWith } from './alerts.fixtures';
import { renderSnsMessage } from './sns-message';

describe('renderSnsMessage', () => {
  it('has a one-line subject under 100 characters and filterable attributes', () => {
    const sns = renderSnsMessage({ kind: 'appeared', cluster: 'prod', report: reportWith(3) });
    expect(sns.subject).toBe('Tidemark: drift in prod, 3 findings differ from Git');
    expect(sns.attributes).toEqual({ cluster: 'prod', kind: 'drift' });
    expect(sns.message).toContain('  spec.replicas 3 → 5 by kubectl-scale (scale) at 10:42 UTC');
    expect(sns.message).toContain('Revision: 0123456');
  });

  it('never lets an error message break the subject onto two lines or past 99 characters', () => {
    const cluster = 'a-cluster-name-of-thirty-two-chr';
    const sns = renderSnsMessage({ kind: 'scan-failing', cluster, message: 'x\ny'.repeat(100), since: 'now' });
    expect(sns.subject.length).toBeLessThan(100);
    expect(sns.subject).not.toMatch(/[\r\n]/);
    expect(sns.attributes.kind).toBe('scan-failing');
    expect(renderSnsMessage({ kind: 'recovered', cluster, failingSince: 'then' }).attributes.kind).toBe('resolved');
  });

  it('keeps a huge drift under 256 KB and says how much was left out', () => {
    const sns = renderSnsMessage({ kind: 'appeared', cluster: 'prod', report: reportWith(20_000) });
    expect(Buffer.byteLength(sns.message)).toBeLessThan(256 * 1024);
    expect(sns.message).toMatch(/…and \d+ more lines/);
    expect(sns.message).toContain('Revision: 0123456');
  });
});
