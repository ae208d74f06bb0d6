import { describe, expect, it } from 'vitest';
import { EksTokenSource } from './eks-token';

const credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
const at = (iso: string) => () => new Date(iso);

/**
 * The reference: botocore's SigV4QueryAuth (what `aws eks get-token` uses) signing the same request with the same
 * credentials at 2026-11-25T10:00:00Z, computed with the botocore in moto's virtualenv:
 * `SigV4QueryAuth(Credentials('AKIDEXAMPLE', 'secret'), 'sts', 'us-east-1', expires=60).add_auth(req)` on
 * GET https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15 with `x-k8s-aws-id: prod`.
 */
const botocoreSignature = '213f73a2c7521f3f5348026d9df6222288f1fb45ef35012b7d4ee38c7c650ad2';

describe('EksTokenSource', () => {
  it('signs GetCallerIdentity with x-k8s-aws-id exactly as botocore does', async () => {
    const tokens = new EksTokenSource({ region: 'us-east-1', credentials, now: at('2026-11-25T10:00:00Z') });
    const url = new URL(await tokens.presignedUrl('prod'));
    expect(url.host).toBe('sts.us-east-1.amazonaws.com');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261125/us-east-1/sts/aws4_request',
      'X-Amz-Date': '20261125T100000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': botocoreSignature,
    });
  });

  it('wraps the URL as k8s-aws-v1.<base64url without padding>', async () => {
    const tokens = new EksTokenSource({ region: 'us-east-1', credentials, now: at('2026-11-25T10:00:00Z') });
    const { token } = await tokens.tokenFor('prod');
    expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString()).toBe(
      await tokens.presignedUrl('prod'),
    );
  });

  it('reuses a token for 13 minutes and signs a new one after, per cluster', async () => {
    let now = new Date('2026-11-25T10:00:00Z');
    const tokens = new EksTokenSource({ region: 'us-east-1', credentials, now: () => now });
    const first = await tokens.tokenFor('prod');
    now = new Date('2026-11-25T10:12:59Z');
    expect(await tokens.tokenFor('prod')).toBe(first);
    expect((await tokens.tokenFor('dev')).token).not.toBe(first.token);
    now = new Date('2026-11-25T10:13:01Z');
    expect((await tokens.tokenFor('prod')).token).not.toBe(first.token);
  });
});
