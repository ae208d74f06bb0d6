import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * PostgreSQL's SCRAM-SHA-256 password verifier (RFC 5802, RFC 7677), computed here so that `CREATE ROLE … PASSWORD`
 * carries the verifier and never the password: the server's statement log, `pg_stat_statements` and any error echo
 * see only what `pg_authid` stores anyway, which is what psql's `\password` does too. By hand because no well-kept
 * npm package computes verifiers (`pg` implements the client side of the exchange only); the format is
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const { storedKey, serverKey } = keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * Whether `password` is the one a stored verifier was made from. Used by the drift scan when it may read
 * `pg_authid` (a superuser, as locally); on RDS it may not, and a rotation is noticed by the secret's version instead.
 */
export function verifierMatches(verifier: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) return false;
  const { storedKey } = keys(password, Buffer.from(match[2]!, 'base64'), Number(match[1]));
  const stored = Buffer.from(match[3]!, 'base64');
  return stored.length === storedKey.length && timingSafeEqual(stored, storedKey);
}

function keys(password: string, salt: Buffer, iterations: number): { storedKey: Buffer; serverKey: Buffer } {
  // SASLprep in full maps a few more code points; NFKC normalisation is its core, and ASCII passes through unchanged.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return {
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: createHmac('sha256', salted).update('Server Key').digest(),
  };
}
