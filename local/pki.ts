import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files of the local cluster's PKI: a CA of its own, the API server's serving certificate, the service-account keys. */
export interface ClusterPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/**
 * Creates the PKI once per state folder with the openssl command. Why openssl and not Node: Node's crypto has no API to
 * issue X.509 certificates, and openssl is on every machine that has git.
 */
export function ensurePki(dir: string): ClusterPki {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const pki: ClusterPki = {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
  if (Object.values(pki).every((p) => existsSync(p))) return pki;

  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=tidemark-local-ca',
    '-keyout',
    pki.caKey,
    '-out',
    pki.caCert,
    '-days',
    '3650',
  );
  const ext = f('apiserver.ext');
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
    ].join('\n'),
  );
  const csr = f('apiserver.csr');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=kube-apiserver', '-keyout', pki.serverKey, '-out', csr);
  openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-CAcreateserial',
    '-out',
    pki.serverCert,
    '-days',
    '3650',
    '-extfile',
    ext,
  );
  openssl('genrsa', '-out', pki.serviceAccountKey, '2048');
  openssl('rsa', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub);
  return pki;
}

/** A random bearer token for the static token file. */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}
