import { describe, expect, it } from 'vitest';
import { renderSlackMessage } from '../alerts/slack-message';
import { renderSnsMessage } from '../alerts/sns-message';
import { resourcesDriftReport } from './resources-drift';

const at = new Date('2026-12-01T10:00:00Z');

describe('resourcesDriftReport', () => {
  const report = resourcesDriftReport({
    folder: 'dns',
    revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
    scannedAt: at,
    objectsScanned: 3,
    findings: [
      { kind: 'modified', key: 'DnsRecordSet/api.example.com A', changes: [{ path: 'ttl', from: 60, to: 300 }] },
      { kind: 'missing', key: 'DnsRecordSet/www.example.com CNAME', reverted: true },
      {
        kind: 'foreign',
        key: 'DnsRecordSet/mail.example.com MX',
        message: "exists without Tidemark's ownership marker",
      },
    ],
  });

  it('reads in Slack as a change to the record set, field by field', () => {
    const slack = JSON.stringify(renderSlackMessage({ kind: 'appeared', cluster: report.cluster, report }));
    expect(slack).toContain('Drift in resources/dns: 3 findings differ from Git');
    expect(slack).toContain('DnsRecordSet/api.example.com A differs from Git in 1 field');
    expect(slack).toContain('ttl 300 → 60');
    expect(slack).toContain('DnsRecordSet/www.example.com CNAME is in Git but does not exist, created again from Git');
    expect(slack).toContain('Resources *dns*');
    expect(slack).not.toContain('Cluster');
  });

  it('reads the same on SNS, filterable by its target', () => {
    const sns = renderSnsMessage({ kind: 'appeared', cluster: report.cluster, report });
    expect(sns.subject).toBe('Tidemark: drift in resources/dns, 3 findings differ from Git');
    expect(sns.attributes).toEqual({ cluster: 'resources/dns', kind: 'drift' });
    expect(sns.message).toContain('Resources dns: 3 findings differ from Git');
    expect(sns.message).toContain('  ttl 300 → 60');
  });

  it('has the same fingerprint whether or not self-heal reverted the drift, so reverting it is not a second alert', () => {
    const unreverted = resourcesDriftReport({
      folder: 'dns',
      scannedAt: at,
      objectsScanned: 1,
      findings: [{ kind: 'missing', key: 'DnsRecordSet/www.example.com CNAME' }],
    });
    const reverted = resourcesDriftReport({
      folder: 'dns',
      scannedAt: at,
      objectsScanned: 1,
      findings: [{ kind: 'missing', key: 'DnsRecordSet/www.example.com CNAME', reverted: true }],
    });
    expect(reverted.fingerprint).toBe(unreverted.fingerprint);
    expect(
      resourcesDriftReport({ folder: 'dns', scannedAt: at, objectsScanned: 1, findings: [] }).fingerprint,
    ).toBeNull();
  });
});
