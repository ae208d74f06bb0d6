import compareSemver from 'semver/functions/compare.js';
import compareBuild from 'semver/functions/compare-build.js';
import satisfies from 'semver/functions/satisfies.js';
import valid from 'semver/functions/valid.js';
import type { TagStrategy } from './image-policy';

/** A tag as a policy sees it: its name and, when known, when it was pushed. */
export interface TagCandidate {
  tag: string;
  pushedAt?: Date;
}

/** Why a tag cannot be chosen, or that it can. */
export type TagVerdict = { allowed: true } | { allowed: false; reason: string };

/** Whether a policy may ever choose `tag`, and if not, why (the reason is shown to the user as is). */
export function tagAllowed(strategy: TagStrategy, candidate: TagCandidate): TagVerdict {
  switch (strategy.kind) {
    case 'semver': {
      if (valid(candidate.tag) === null)
        return { allowed: false, reason: `tag ${candidate.tag} is not a semver version` };
      // npm's rule, as the issue asks: a pre-release matches only when the range names a pre-release of the same tuple.
      if (!satisfies(candidate.tag, strategy.range)) {
        return { allowed: false, reason: `tag ${candidate.tag} is outside the range '${strategy.range}'` };
      }
      return { allowed: true };
    }
    case 'latest-pushed':
      if (strategy.tagPattern && !strategy.tagPattern.test(candidate.tag)) {
        return {
          allowed: false,
          reason: `tag ${candidate.tag} does not match tagPattern ${strategy.tagPattern.source}`,
        };
      }
      if (!candidate.pushedAt) return { allowed: false, reason: `tag ${candidate.tag} has no push time` };
      return { allowed: true };
    case 'numeric':
    case 'alphabetical': {
      const key = extracted(strategy, candidate.tag);
      if (key === undefined) {
        return {
          allowed: false,
          reason: `tag ${candidate.tag} does not match tagPattern ${strategy.tagPattern.source}`,
        };
      }
      if (strategy.kind === 'numeric' && !Number.isFinite(Number(key))) {
        return { allowed: false, reason: `tag ${candidate.tag}: '${key}' (group ${strategy.extract}) is not a number` };
      }
      return { allowed: true };
    }
  }
}

function extracted(strategy: { tagPattern: RegExp; extract: string }, tag: string): string | undefined {
  return strategy.tagPattern.exec(tag)?.groups?.[strategy.extract];
}

/**
 * Orders two allowed tags under a policy: negative when `a` comes before (is older than) `b`, 0 only for the same tag.
 * Both must be allowed by {@link tagAllowed}.
 *
 * Two tags of one version (`1.0.0` and `v1.0.0`; `1.0.0+build.1` and `1.0.0+build.2`, equal in semver precedence;
 * `build-7` and `build-007` under `numeric`) are still two images, and Flux writes whichever its policy selected. So
 * that every event and the scheduled catch-up agree on one of them, they are ordered by build metadata, then by the
 * tag's text: a file moves to the later spelling once and never back (`1.0.0` → `v1.0.0`, not `v1.0.0` → `1.0.0`),
 * and a duplicate or late event still changes nothing.
 */
export function compareTags(strategy: TagStrategy, a: TagCandidate, b: TagCandidate): number {
  if (a.tag === b.tag) return 0;
  const order = compareVersions(strategy, a, b);
  if (order !== 0) return order;
  const build = strategy.kind === 'semver' ? compareBuild(a.tag, b.tag) : 0;
  return build !== 0 ? build : a.tag < b.tag ? -1 : 1;
}

/** The strategy's own order, in which two spellings of one version are equal. */
function compareVersions(strategy: TagStrategy, a: TagCandidate, b: TagCandidate): number {
  switch (strategy.kind) {
    case 'semver':
      return compareSemver(a.tag, b.tag);
    case 'latest-pushed':
      return (a.pushedAt?.getTime() ?? 0) - (b.pushedAt?.getTime() ?? 0);
    case 'numeric':
      return Number(extracted(strategy, a.tag)) - Number(extracted(strategy, b.tag));
    case 'alphabetical': {
      const x = extracted(strategy, a.tag)!;
      const y = extracted(strategy, b.tag)!;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

/** The highest allowed tag among `candidates`, as the policy orders them, or `undefined` when none is allowed. */
export function selectTag(strategy: TagStrategy, candidates: readonly TagCandidate[]): TagCandidate | undefined {
  let best: TagCandidate | undefined;
  for (const c of candidates) {
    if (!tagAllowed(strategy, c).allowed) continue;
    if (!best || compareTags(strategy, c, best) > 0) best = c;
  }
  return best;
}

/**
 * Whether moving from `current` (what Git holds) to `candidate` is an upgrade. Never a downgrade, and never a move
 * to the same tag: this is what makes a duplicate or out-of-order event a no-op (see {@link compareTags} for two
 * spellings of one version). A current tag the policy
 * cannot order (say `latest` under a semver policy) is replaced by any allowed candidate.
 */
export function isUpgrade(strategy: TagStrategy, candidate: TagCandidate, current: TagCandidate): boolean {
  if (candidate.tag === current.tag) return false;
  if (strategy.kind === 'latest-pushed') {
    // Without the current tag's push time, there is nothing to order against: the pushed tag is newer than "unknown".
    return current.pushedAt === undefined || compareTags(strategy, candidate, current) > 0;
  }
  if (!tagAllowed(strategy, current).allowed && !(strategy.kind === 'semver' && valid(current.tag) !== null))
    return true;
  return compareTags(strategy, candidate, current) > 0;
}
