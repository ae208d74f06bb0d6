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
      parseSyncSpec(sync({ url: 'u', helm: { chart: { path: 'charts/web' } }, fluxHelmReleases: true })),
    ).toMatchObject({ ok: false, message: expect.stringMatching(/^spec\.fluxHelmReleases: cannot be set with helm/) });
  });

  it('names the wrong field and the fix', () => {
    expect(parseSyncSpec(sync({ url: 'u', interval: 'soon' }))).toEqual({
      ok: false,
      message: "spec.interval: is not a duration such as 30s, 5m or 1h. Fix the Sync's spec.",
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
