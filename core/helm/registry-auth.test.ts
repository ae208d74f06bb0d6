import { describe, expect, it } from 'vitest';
import { registryAuthFor, tokenNeedsRefresh } from './registry-auth';

describe('registryAuthFor', () => {
  it("signs ECR registries with the agent's AWS identity", () => {
    expect(registryAuthFor('oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web')).toEqual({
      kind: 'ecr',
      registryId: '123456789012',
      region: 'us-east-1',
    });
  });

  it("uses the Sync's secretRef when it names one, and nothing for a public registry", () => {
    expect(registryAuthFor('oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web', 'creds')).toEqual({
      kind: 'secret',
      name: 'creds',
    });
    expect(registryAuthFor('oci://quay.io/jetstack/charts/cert-manager')).toEqual({ kind: 'anonymous' });
    expect(registryAuthFor('oci://123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/c')).toEqual({
      kind: 'anonymous',
    });
  });
});

describe('tokenNeedsRefresh', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('keeps a fresh 12-hour token and renews one an hour before it expires', () => {
    expect(tokenNeedsRefresh(new Date('2026-01-01T12:00:00Z'), now)).toBe(false);
    expect(tokenNeedsRefresh(new Date('2026-01-01T01:00:00Z'), now)).toBe(true);
    expect(tokenNeedsRefresh(new Date('2025-12-31T23:00:00Z'), now)).toBe(true);
  });
});
