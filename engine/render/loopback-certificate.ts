import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/** A TLS identity for a server on 127.0.0.1 that lives for one render: key and self-signed certificate, as PEM. */
export interface LoopbackCertificate {
  key: string;
  cert: string;
}

/**
 * A fresh ECDSA P-256 key and a self-signed certificate for `IP:127.0.0.1`, valid for a day.
 *
 * Why by hand: Helm (client-go) sends a kubeconfig's token only over TLS, so the lookup proxy must speak HTTPS, and
 * Node's crypto can make keys and signatures but not write an X.509 certificate. The agent image has no openssl, and
 * a certificate library (node-forge, @peculiar/x509) would be a dependency of hundreds of kilobytes for the 40 lines
 * of DER below. The certificate is never trusted by anything but the one Helm process given it as its CA.
 */
export function loopbackCertificate(now = new Date()): LoopbackCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = der(0x30, oid('2a8648ce3d040302'));
  const name = der(0x30, der(0x31, der(0x30, oid('550403'), der(0x0c, Buffer.from('tidemark lookup proxy')))));
  const serial = randomBytes(16);
  // A positive INTEGER in its minimal form: high bit clear (not negative) and first byte not 0 (DER refuses a leading
  // zero byte before one whose high bit is clear, and OpenSSL says "illegal padding").
  serial[0] = ((serial[0] as number) & 0x3f) | 0x40;
  const subjectAltName = der(0x30, oid('551d11'), der(0x04, der(0x30, der(0x87, Buffer.from([127, 0, 0, 1])))));
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ecdsaWithSha256,
    name,
    der(0x30, utcTime(new Date(now.getTime() - 60_000)), utcTime(new Date(now.getTime() + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, der(0x30, subjectAltName)),
  );
  const signature = sign('sha256', tbs, createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })));
  const certificate = der(0x30, tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = certificate.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`,
  };
}

/** One DER TLV: tag, definite length, content. */
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

function oid(hex: string): Buffer {
  return der(0x06, Buffer.from(hex, 'hex'));
}

function utcTime(date: Date): Buffer {
  const text = `${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`; // YYMMDDHHMMSSZ
  return der(0x17, Buffer.from(text));
}
