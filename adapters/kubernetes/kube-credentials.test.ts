import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialsFromKubeconfig, credentialsFromToken } from './kube-credentials';

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
  const file = join(dir, 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'dev',
      contexts: [{ name: 'dev', context: { cluster: 'c', user: 'u' } }],
      clusters: [
        { name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt', ...cluster } },
      ],
      users: [{ name: 'u', user }],
    }),
  );
  return file;
}

describe('credentialsFromKubeconfig', () => {
  it('reads the server, a CA file relative to the kubeconfig, and a bearer token', async () => {
    const credentials = credentialsFromKubeconfig(kubeconfig({ token: 'abc' }));
    expect(credentials.server.href).toBe('https://127.0.0.1:6443/');
    expect(credentials.tls.ca?.toString()).toBe('CA PEM');
    expect(await credentials.headers()).toEqual({ Authorization: 'Bearer abc' });
  });

  it('reads inline client certificates and skips TLS verification only when asked', () => {
    const credentials = credentialsFromKubeconfig(
      kubeconfig(
        {
          'client-certificate-data': Buffer.from('CERT').toString('base64'),
          'client-key-data': Buffer.from('KEY').toString('base64'),
        },
        { 'insecure-skip-tls-verify': true },
      ),
    );
    expect([
      credentials.tls.cert?.toString(),
      credentials.tls.key?.toString(),
      credentials.tls.rejectUnauthorized,
    ]).toEqual(['CERT', 'KEY', false]);
  });

  it('names the file and the missing context', () => {
    const file = kubeconfig({});
    writeFileSync(file, JSON.stringify({ 'current-context': 'gone', contexts: [] }));
    expect(() => credentialsFromKubeconfig(file)).toThrow(
      `kubeconfig ${file}: has no current context 'gone'. Fix the file, or pass --kubeconfig`,
    );
  });
});

describe('credentialsFromToken', () => {
  it('decodes the base64 CA that EKS returns', async () => {
    const credentials = credentialsFromToken({
      server: 'https://eks.example',
      certificateAuthorityData: Buffer.from('PEM').toString('base64'),
      token: 't',
    });
    expect(credentials.tls.ca?.toString()).toBe('PEM');
    expect(await credentials.headers()).toEqual({ Authorization: 'Bearer t' });
  });
});
