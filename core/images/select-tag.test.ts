import { describe, expect, it } from 'vitest';
import type { TagStrategy } from './image-policy';
import { isUpgrade, selectTag, tagAllowed } from './select-tag';

const tags = (...names: string[]) => names.map((tag) => ({ tag }));

describe('selectTag', () => {
  it('semver: the highest version in the range', () => {
    const s: TagStrategy = { kind: 'semver', range: '>=1.0.0 <2.0.0' };
    expect(selectTag(s, tags('1.0.0', '1.10.0', '1.9.3', '2.0.0', 'latest'))?.tag).toBe('1.10.0');
  });

  it('semver: pre-releases only when the range asks for one', () => {
    expect(selectTag({ kind: 'semver', range: '^1.0.0' }, tags('1.0.0', '1.1.0-rc.1'))?.tag).toBe('1.0.0');
    expect(selectTag({ kind: 'semver', range: '>=1.1.0-rc.0' }, tags('1.0.0', '1.1.0-rc.1'))?.tag).toBe('1.1.0-rc.1');
    expect(tagAllowed({ kind: 'semver', range: '~1.0.0' }, { tag: '1.0.1-beta' })).toEqual({
      allowed: false,
      reason: "tag 1.0.1-beta is outside the range '~1.0.0'",
    });
  });

  it('semver: accepts a v prefix', () => {
    expect(selectTag({ kind: 'semver', range: '1.x' }, tags('v1.2.0', 'v1.3.0'))?.tag).toBe('v1.3.0');
  });

  it('latest-pushed: the most recent push among the matching tags', () => {
    const s: TagStrategy = { kind: 'latest-pushed', tagPattern: /^main-/ };
    const best = selectTag(s, [
      { tag: 'main-a', pushedAt: new Date('2026-01-01T00:00:02Z') },
      { tag: 'main-b', pushedAt: new Date('2026-01-01T00:00:01Z') },
      { tag: 'feature-c', pushedAt: new Date('2026-01-01T00:00:03Z') },
    ]);
    expect(best?.tag).toBe('main-a');
  });

  it('numeric: orders by the extracted number, not the text', () => {
    const s: TagStrategy = { kind: 'numeric', tagPattern: /^build-(?<n>\d+)$/, extract: 'n' };
    expect(selectTag(s, tags('build-9', 'build-10', 'build-x', 'other-99'))?.tag).toBe('build-10');
  });

  it('alphabetical: orders by the extracted text', () => {
    const s: TagStrategy = { kind: 'alphabetical', tagPattern: /^(?<ts>\d{8}T\d{6})-[a-f0-9]+$/, extract: 'ts' };
    expect(selectTag(s, tags('20260101T000000-abc', '20260102T000000-def', 'zzz'))?.tag).toBe('20260102T000000-def');
  });

  it('returns nothing when no tag is allowed', () => {
    expect(selectTag({ kind: 'semver', range: '^3' }, tags('1.0.0'))).toBeUndefined();
  });
});

describe('isUpgrade', () => {
  const semver: TagStrategy = { kind: 'semver', range: '>=1.0.0' };
  it('never moves down or sideways', () => {
    expect(isUpgrade(semver, { tag: '1.2.5' }, { tag: '1.3.0' })).toBe(false);
    expect(isUpgrade(semver, { tag: '1.3.0' }, { tag: '1.3.0' })).toBe(false);
    expect(isUpgrade(semver, { tag: '1.3.1' }, { tag: '1.3.0' })).toBe(true);
  });

  it('keeps a newer version that Git holds even when the range excludes it', () => {
    expect(isUpgrade({ kind: 'semver', range: '<2.0.0' }, { tag: '1.9.0' }, { tag: '2.0.0' })).toBe(false);
  });

  it('replaces a tag the policy cannot order', () => {
    expect(isUpgrade(semver, { tag: '1.0.0' }, { tag: 'latest' })).toBe(true);
  });

  it('latest-pushed: compares push times, and treats an unknown current time as older', () => {
    const s: TagStrategy = { kind: 'latest-pushed' };
    const older = { tag: 'a', pushedAt: new Date(1000) };
    const newer = { tag: 'b', pushedAt: new Date(2000) };
    expect(isUpgrade(s, older, newer)).toBe(false);
    expect(isUpgrade(s, newer, older)).toBe(true);
    expect(isUpgrade(s, newer, { tag: 'c' })).toBe(true);
  });

  it('orders two spellings of one version, so a file moves to one of them once and never back', () => {
    expect(isUpgrade(semver, { tag: 'v1.3.0' }, { tag: '1.3.0' })).toBe(true);
    expect(isUpgrade(semver, { tag: '1.3.0' }, { tag: 'v1.3.0' })).toBe(false);
    // Build metadata does not count in semver precedence; it orders two builds of one version here.
    expect(isUpgrade(semver, { tag: '1.3.0+build.10' }, { tag: '1.3.0+build.9' })).toBe(true);
    expect(isUpgrade(semver, { tag: '1.3.0+build.9' }, { tag: '1.3.0+build.10' })).toBe(false);
    const numeric: TagStrategy = { kind: 'numeric', tagPattern: /^build-(?<n>\d+)$/, extract: 'n' };
    expect(selectTag(numeric, tags('build-007', 'build-7'))?.tag).toBe(
      selectTag(numeric, tags('build-7', 'build-007'))?.tag,
    );
  });
});
