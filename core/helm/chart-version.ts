import semver from 'semver';

export type ChartVersionChoice = { kind: 'selected'; version: string } | { kind: 'none-matches'; message: string };

/**
 * Picks the chart version a Sync asks for from what a registry or chart repository offers: an exact version as is
 * (so `1.2.3` never silently becomes `1.2.4`), otherwise the highest version in the semver range, as Helm and Flux do.
 * Pre-releases match only a range that names one, so `1.x` never picks `2.0.0-rc.1`. Helm stores an OCI chart's
 * `+build` metadata as `_` in the tag (OCI tags cannot hold `+`); those tags are read back as semver.
 *
 * @example
 * selectChartVersion('>=1.0.0 <2', ['1.0.0', '1.4.2', '2.0.0']); // { kind: 'selected', version: '1.4.2' }
 */
export function selectChartVersion(wanted: string | undefined, offered: readonly string[]): ChartVersionChoice {
  const versions = offered
    .map((tag) => ({ tag, version: semver.valid(tag.replace(/_/g, '+')) }))
    .filter((v): v is { tag: string; version: string } => v.version !== null);
  const range = wanted ?? '*';
  const exact = semver.valid(range);
  if (exact) {
    const found = versions.find((v) => semver.eq(v.version, exact));
    return found
      ? { kind: 'selected', version: found.tag }
      : { kind: 'none-matches', message: `version ${range} is not published (${summarise(versions)})` };
  }
  if (semver.validRange(range) === null) {
    return { kind: 'none-matches', message: `'${range}' is neither a version nor a semver range such as 1.4.x` };
  }
  const matching = versions.filter((v) => semver.satisfies(v.version, range));
  matching.sort((a, b) => semver.rcompare(a.version, b.version));
  const best = matching[0];
  return best
    ? { kind: 'selected', version: best.tag }
    : { kind: 'none-matches', message: `no published version satisfies '${range}' (${summarise(versions)})` };
}

function summarise(versions: readonly { version: string }[]): string {
  if (versions.length === 0) return 'none is published';
  const sorted = [...versions].sort((a, b) => semver.rcompare(a.version, b.version));
  const newest = sorted.slice(0, 5).map((v) => v.version);
  return `newest: ${newest.join(', ')}${sorted.length > 5 ? ', …' : ''}`;
}
