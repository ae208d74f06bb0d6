import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loopbackCertificate } from './loopback-certificate';

describe('loopbackCertificate', () => {
  it('is a certificate every time: its random serial is always a minimal DER INTEGER', () => {
    // A serial whose first byte came out 0 (1 in 128) was a non-minimal INTEGER, which OpenSSL refuses ("illegal
    // padding"): 2,000 certificates meet that case many times over.
    for (let i = 0; i < 2000; i++) {
      const { cert } = loopbackCertificate();
      const parsed = new X509Certificate(cert);
      expect(parsed.subjectAltName).toBe('IP Address:127.0.0.1');
      expect(parsed.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });
});
