import { describe, expect, it } from 'vitest';
import { durationSeconds, parseSyncSpec } from './sync';

const sync = (spec: unknown) => ({
  apiVersion: 'tidemark.dev/v1alpha1',
  kind: 'Sync',
  metadata: { name: 'apps' },
  spec,
});

describe('parseSyncSpec', () => {
  it('fills the defaults the issue declares', () => {
    expect(parseSyncSpec(sync({ url: 'https://git.example.com/config.git' }))).toEqual({
      ok: true,
      spec: {
        url: 'https://git.example.com/config.git',
        branch: 'main',
        path: '.',
        interval: '1m',
        timeout: '3m',
        remoteResources: false,
        prune: true,
        selfHeal: true,
        suspend: false,
        maxPrunePercent: 20,
        fluxHelmReleases: false,
      },
    });
  });

  it('refuses a Sync that releases both its own chart and the Flux HelmReleases of its folder', () => {
    expect(
      parseSyncSpec(
        sync({
          url: 'https://git.example.com/config',
          helm: { chart: { path: 'charts/web' } },
          fluxHelmReleases: true,
        }),
      ),
    ).toMatchObject({ ok: false, message: expect.stringMatching(/^spec\.fluxHelmReleases: cannot be set with helm/) });
  });

  it('names the wrong field and the fix', () => {
    expect(parseSyncSpec(sync({ url: 'https://git.example.com/config.git', interval: 'soon' }))).toEqual({
      ok: false,
      message: "spec.interval: is not a duration such as 30s, 5m or 1h. Fix the Sync's spec.",
    });
  });
});

describe('parseSyncSpec refuses what the CRD refuses, for Syncs stored before a CRD upgrade', () => {
  it('a URL that holds credentials (they belong in the Secret of secretRef)', () => {
    const parsed = parseSyncSpec(sync({ url: 'https://user:token@git.example.com/config.git' }));
    expect(parsed).toMatchObject({ ok: false });
    expect(parsed.ok ? '' : parsed.message).toContain('spec.url: must not hold credentials');
    expect(parsed.ok ? '' : parsed.message).not.toContain('token');
  });

  it.each([
    'file:///var/run/secrets/kubernetes.io',
    'ssh://git@github.com/org/config.git',
    'http://git.example.com/config.git',
    'git@github.com:org/config.git',
  ])('the URL %s', (url) => {
    expect(parseSyncSpec(sync({ url }))).toEqual({
      ok: false,
      message:
        "spec.url: must be an HTTPS URL (plain http:// only on a loopback host, for a local git server). Fix the Sync's spec.",
    });
  });

  it('accepts plain HTTP on a loopback host', () => {
    expect(parseSyncSpec(sync({ url: 'http://127.0.0.1:8080/config.git' })).ok).toBe(true);
    expect(parseSyncSpec(sync({ url: 'http://[::1]:8080/config.git' })).ok).toBe(true);
  });

  it.each(['0s', '5s'])('the interval %s', (interval) => {
    expect(parseSyncSpec(sync({ url: 'https://git.example.com/config.git', interval }))).toEqual({
      ok: false,
      message: "spec.interval: must be 10s or more, so a Sync cannot fetch in a loop. Fix the Sync's spec.",
    });
  });
});

describe('durationSeconds', () => {
  it.each([
    ['30s', 30],
    ['1m', 60],
    ['1h30m', 5400],
    ['2m5s', 125],
  ])('%s is %i seconds', (text, seconds) => expect(durationSeconds(text)).toBe(seconds));
  it.each(['', '5', '1d', 'm'])('%j is not a duration', (text) => expect(durationSeconds(text)).toBeUndefined());
});
