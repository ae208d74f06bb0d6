import { describe, expect, it } from 'vitest';
import { selectChartVersion } from './chart-version';

describe('selectChartVersion', () => {
  const offered = ['1.0.0', '1.4.2', '1.10.0', '2.0.0-rc.1', '2.0.0', 'latest'];

  it('picks the highest version in a range, by semver and not by text', () => {
    expect(selectChartVersion('>=1.0.0 <2', offered)).toEqual({ kind: 'selected', version: '1.10.0' });
    expect(selectChartVersion('1.4.x', offered)).toEqual({ kind: 'selected', version: '1.4.2' });
  });

  it('takes an exact version as it is, never a newer one', () => {
    expect(selectChartVersion('1.0.0', offered)).toEqual({ kind: 'selected', version: '1.0.0' });
  });

  it('picks the newest release, not a pre-release, when no version is given', () => {
    expect(selectChartVersion(undefined, offered)).toEqual({ kind: 'selected', version: '2.0.0' });
    expect(selectChartVersion('>=2.0.0-rc.0 <2.0.0', offered)).toEqual({ kind: 'selected', version: '2.0.0-rc.1' });
  });

  it("reads back Helm's OCI tags, where + of build metadata is stored as _", () => {
    expect(selectChartVersion('1.2.3+build.7', ['1.2.3_build.7'])).toEqual({
      kind: 'selected',
      version: '1.2.3_build.7',
    });
  });

  it('says which versions exist when none matches', () => {
    expect(selectChartVersion('3.x', offered)).toEqual({
      kind: 'none-matches',
      message: "no published version satisfies '3.x' (newest: 2.0.0, 2.0.0-rc.1, 1.10.0, 1.4.2, 1.0.0)",
    });
    expect(selectChartVersion('1.0.1', [])).toEqual({
      kind: 'none-matches',
      message: 'version 1.0.1 is not published (none is published)',
    });
    expect(selectChartVersion('one', offered).kind).toBe('none-matches');
  });
});
