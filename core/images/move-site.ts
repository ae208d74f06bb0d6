import valid from 'semver/functions/valid.js';
import type { ImagePolicy } from './image-policy';
import type { ImageSite, ValueSlot } from './image-site';
import type { ScalarEdit } from './rewrite-yaml';
import { isUpgrade, selectTag, type TagCandidate, tagAllowed } from './select-tag';

/** The tag a policy selected among the pushes, with the push it came from. */
export type SelectedTag = TagCandidate & { push: { tag: string; digest?: string } };

/**
 * What the policy's own sites say about the selected push. A name or a digest has no version, so whether it may move
 * is decided from the tags the same policy holds elsewhere in its paths: never on the word of a push that is older
 * than one of them.
 */
export interface Freshness {
  /** A site of the policy that holds a later tag than the push: the push is late, and nothing versionless moves. */
  later?: { site: ImageSite; tag: string };
  /** Some site moves from an older version of the policy: proof from Git that the push is news. */
  upgrades: boolean;
}

/**
 * May a digest move without a tag moving beside it? `confirmed` when Git or the registry proves the push is the
 * policy's newest image; `unconfirmed` when neither was asked (the CLI, which has only the push it was given, takes
 * it as the newest); otherwise the reason it may not.
 */
export type DigestVerdict = 'confirmed' | 'unconfirmed' | { refused: string };

/** One site's edits, and the change as reported (`from → to`), or why it does not move. */
export type SiteMove = { edits: ScalarEdit[]; from: string; to: string; unconfirmed: boolean } | { skip: string };

export function freshnessOf(
  policy: ImagePolicy,
  best: SelectedTag,
  sites: readonly ImageSite[],
  pushedAt: (tag: string) => Date | undefined,
): Freshness {
  let later: Freshness['later'];
  let upgrades = false;
  for (const site of sites) {
    const held = site.tag?.value;
    if (!held || held === best.tag) continue;
    const current = { tag: held, pushedAt: pushedAt(held) };
    if (!isUpgrade(policy.strategy, best, current)) later ??= { site, tag: held };
    else if (ordersAsVersion(policy, current)) upgrades = true;
  }
  return { later, upgrades };
}

/**
 * Whether the policy can place `tag` in its order: an allowed tag, or a semver version outside the range (`latest`
 * under semver, or a tag without a push time under latest-pushed, it cannot).
 */
function ordersAsVersion(policy: ImagePolicy, current: TagCandidate): boolean {
  return (
    tagAllowed(policy.strategy, current).allowed || (policy.strategy.kind === 'semver' && valid(current.tag) !== null)
  );
}

/**
 * Whether the registry's images confirm the push as the policy's newest: no allowed tag later than it, and the tag
 * still pointing at the pushed digest (a re-pushed tag whose older event arrives late is not).
 */
export function registryVerdict(
  policy: ImagePolicy,
  best: SelectedTag,
  images: readonly { tag: string; digest?: string; pushedAt?: Date }[],
): DigestVerdict {
  const newest = selectTag(policy.strategy, [...images, best])!;
  if (newest.tag !== best.tag) {
    return { refused: `${policy.repository} holds ${newest.tag}, later than the pushed ${best.tag}` };
  }
  const listed = images.find((i) => i.tag === best.tag && i.digest);
  if (listed && listed.digest !== best.push.digest) {
    return {
      refused: `${policy.repository}:${best.tag} is now ${listed.digest}, not the pushed ${best.push.digest}`,
    };
  }
  return 'confirmed';
}

/**
 * Moves one site to the selected push, or says why not. A tag moves only up (never a downgrade, never to the same
 * tag). A marked name takes the policy's repository and a marked reference without a tag gets one (Flux writes the
 * policy's whole image there). A digest is written where the policy pins digests or the site holds one: with its
 * tag, or on its own when the push is proven newest (see {@link DigestVerdict}).
 */
export function moveSite(
  site: ImageSite,
  policy: ImagePolicy,
  best: SelectedTag,
  fresh: Freshness,
  digestVerdict: DigestVerdict,
  pushedAt: (tag: string) => Date | undefined,
): SiteMove {
  const where = `${site.file}:${site.line}`;
  const late = (what: string) => {
    const { site: other, tag } = fresh.later!;
    return {
      skip: `${where} ${what}; left as is because ${other.file}:${other.line} holds ${tag}, later than ${best.tag}`,
    };
  };
  const edits: ScalarEdit[] = [];
  let tagMoves = false; // from an older version: the push is proven newer than what this site held
  if (site.tag?.value) {
    if (site.tag.value !== best.tag) {
      if (!isUpgrade(policy.strategy, best, { tag: site.tag.value, pushedAt: pushedAt(site.tag.value) })) {
        return { skip: `${where} already holds ${site.tag.value}, not older than ${best.tag}` };
      }
      edits.push(editOf(site.tag, best.tag));
      tagMoves = true;
    }
  } else if (site.tag) {
    if (fresh.later) return late('has no tag');
    edits.push(editOf(site.tag, best.tag));
  }
  if (site.imageName && site.imageName.value.toLowerCase() !== policy.repository.toLowerCase()) {
    if (!tagMoves && fresh.later) return late(`names ${site.imageName.value}`);
    edits.push(editOf(site.imageName, policy.repository));
  }
  let unconfirmed = false;
  const digest = best.push.digest;
  const digestOnly = site.digest !== undefined && !site.tag && !site.imageName;
  if (site.digest && (policy.digest === 'pin' || site.digest.value !== '' || digestOnly)) {
    if (!digest) {
      if (site.digest.value !== '' && (edits.length > 0 || digestOnly)) {
        return { skip: `${where} pins a digest, but the push of ${best.tag} carries none` };
      }
    } else if (site.digest.value !== digest) {
      if (!tagMoves) {
        if (fresh.later) return late(`holds the digest ${site.digest.value}`);
        if (typeof digestVerdict === 'object') return { skip: `${where} keeps its digest: ${digestVerdict.refused}` };
        unconfirmed = digestVerdict === 'unconfirmed';
      }
      edits.push(editOf(site.digest, digest));
    }
  }
  if (edits.length === 0) return { skip: `${where} ${already(site, policy, best)}` };
  return { ...describe(mergeInserts(edits)), unconfirmed };
}

/** Why a site that the push does not change is fine as it is, in words that say what the site holds. */
function already(site: ImageSite, policy: ImagePolicy, best: SelectedTag): string {
  if (site.tag?.value === best.tag) return `already holds ${best.tag}`;
  if (site.tag?.value) return `already holds ${site.tag.value}, not older than ${best.tag}`;
  if (site.imageName) return `already names ${policy.repository}`;
  if (site.digest?.value) return `already holds the digest ${site.digest.value}`;
  return `holds no tag to move`;
}

function editOf(slot: ValueSlot, value: string): ScalarEdit {
  const start = slot.site.start + slot.offset;
  const text = slot.length === 0 && slot.prefix ? `${slot.prefix}${value}` : value;
  return { site: slot.site, start, end: start + slot.length, text };
}

/** A tag and a digest appended at the same place (`image` → `image:v1@sha256:…`) are one insertion, in that order. */
function mergeInserts(edits: ScalarEdit[]): ScalarEdit[] {
  const out: ScalarEdit[] = [];
  for (const e of edits) {
    const same = out.find((o) => o.start === e.start && o.end === e.start && e.end === e.start);
    if (same) same.text += e.text;
    else out.push({ ...e });
  }
  return out;
}

/** The site's text before and after, as shown in the commit message and the CLI. */
function describe(edits: ScalarEdit[]): { edits: ScalarEdit[]; from: string; to: string } {
  const sites = new Map(edits.map((e) => [e.site.nodeStart, e.site]));
  const before = [...sites.values()].map((s) => s.text).join(' ');
  const after = [...sites.values()]
    .map((s) => {
      let text = s.text;
      for (const e of edits.filter((x) => x.site === s).sort((a, b) => b.start - a.start)) {
        text = text.slice(0, e.start - s.start) + e.text + text.slice(e.end - s.start);
      }
      return text;
    })
    .join(' ');
  return { edits, from: before, to: after };
}
