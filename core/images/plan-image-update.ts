import { findChartSites, ociHelmRepositoriesIn } from './chart-site';
import type { ImagePolicy, WriteBack } from './image-policy';
import { policyCovers } from './image-policy';
import { findImageSites, type ImageSite, isManifestFile } from './image-site';
import { type DigestVerdict, freshnessOf, moveSite, registryVerdict } from './move-site';
import { RewriteRefused, rewriteYaml, type ScalarEdit } from './rewrite-yaml';
import { selectTag, type TagCandidate, tagAllowed } from './select-tag';
import { markerNames } from './setter-marker';

/** An image that was pushed: from an ECR event, a `DescribeImages` result, or the CLI's arguments. */
export interface ImagePush {
  /** Full repository name without tag: `123456789012.dkr.ecr.us-east-1.amazonaws.com/web`. */
  repository: string;
  tag: string;
  digest?: string;
  pushedAt?: Date;
  /** The ECR event id, for the commit's audit trail. */
  eventId?: string;
}

/** One line that moves: `file:line from → to`, as shown in the commit message and the CLI. */
export interface ImageChange {
  file: string;
  line: number;
  from: string;
  to: string;
  policy: string;
}

/** A policy that applied to the push but changes nothing, and why. */
export interface ImageSkip {
  policy: string;
  reason: string;
}

/** What one policy moves, to which tag. */
export interface PolicyUpdate {
  policy: ImagePolicy;
  push: ImagePush;
  changes: ImageChange[];
}

/**
 * Where changes are written, resolved: a branch that is committed to directly, or a policy's own pull-request branch
 * (`branchPrefix` + policy name) into `base`. A policy that names no branch writes to the config repo's branch.
 */
export type WriteTarget = { kind: 'push'; branch: string } | { kind: 'pull-request'; branch: string; base: string };

/**
 * Changes that are written back together: every `push` policy to the same branch shares one commit; a
 * `pull-request` policy gets its own group (its own branch and pull request).
 */
export interface WriteGroup {
  /** The write-back as the policy file says it (the first policy's, for a shared branch). */
  writeBack: WriteBack;
  target: WriteTarget;
  updates: PolicyUpdate[];
  /** New contents of every changed file. */
  files: Map<string, string>;
}

export interface ImageUpdatePlan {
  groups: WriteGroup[];
  skipped: ImageSkip[];
  /** Whether any policy names the pushed repositories (an unknown repository is ignored, not an error). */
  matchedPolicies: string[];
  /**
   * Repositories whose digests move on the push's word alone: no tag of the policy moves up with them, and the
   * registry was not asked ({@link PlanContext.imagesOf}). A caller that can ask it plans again with its answer.
   */
  unconfirmed?: string[];
}

/** What the planner knows beyond the files. */
export interface PlanContext {
  /** The config repo's branch: where a `push` policy without a branch writes, and the default `pullRequest.base`. */
  defaultBranch: string;
  /** Push times of tags, for `latest-pushed` policies. */
  pushedAt?(repository: string, tag: string): Date | undefined;
  /**
   * The images the registry holds for a repository (tags, digests, push times), when the caller asked it: what
   * confirms a digest that no tag in Git can date (a `:digest` marker, a re-pushed tag). `undefined`: not asked.
   */
  imagesOf?(repository: string): readonly ImagePush[] | undefined;
}

/** Where a policy's changes are written, with the config repo's branch filled in where the policy names none. */
export function writeTargetOf(policy: Pick<ImagePolicy, 'name' | 'writeBack'>, defaultBranch: string): WriteTarget {
  const wb = policy.writeBack;
  return wb.kind === 'push'
    ? { kind: 'push', branch: wb.branch ?? defaultBranch }
    : { kind: 'pull-request', branch: `${wb.branchPrefix}${policy.name}`, base: wb.base ?? defaultBranch };
}

/**
 * The policies that write to the same place, in policy-file order: one entry per branch that is pushed to (however
 * the policies spell it), one per pull-request policy. The one place write targets are grouped, so a caller that reads
 * per target and the plan agree on what shares a commit.
 */
export function writeTargets(
  policies: readonly ImagePolicy[],
  defaultBranch: string,
): { target: WriteTarget; policies: ImagePolicy[] }[] {
  const byKey = new Map<string, { target: WriteTarget; policies: ImagePolicy[] }>();
  for (const policy of policies) {
    const target = writeTargetOf(policy, defaultBranch);
    const key = targetKey(target);
    const entry = byKey.get(key) ?? { target, policies: [] };
    entry.policies.push(policy);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

function targetKey(target: WriteTarget): string {
  return target.kind === 'push' ? `push:${target.branch}` : `pull-request:${target.branch}`;
}

/**
 * Decides what a push (or a burst of pushes) changes in the config repo. Pure: the Lambda and
 * `tidemark images update` share it. For each policy naming a pushed repository it picks the highest allowed tag among
 * the pushes, finds the sites it owns in its paths, and moves those that hold an older version — never a downgrade,
 * never a move to the same tag, so duplicate and out-of-order events change nothing. A site without a version (a Flux
 * `:name` or `:digest` value) moves only when no site of the same policy holds a later tag (see `move-site.ts`).
 *
 * @example
 * const plan = planImageUpdate({ repository: 'acme.io/web', tag: '1.2.0' }, policies, new Map([['d.yaml', text]]), {
 *   defaultBranch: 'main',
 * });
 * for (const group of plan.groups) console.log(group.target, [...group.files.keys()]);
 */
export function planImageUpdate(
  push: ImagePush | readonly ImagePush[],
  policies: readonly ImagePolicy[],
  files: ReadonlyMap<string, string>,
  context: PlanContext,
): ImageUpdatePlan {
  const pushes = Array.isArray(push) ? (push as readonly ImagePush[]) : [push as ImagePush];
  const sites = new Map<string, ImageSite[]>();
  let helmRepositories: Map<string, string> | undefined;
  const sitesIn = (file: string) => {
    let found = sites.get(file);
    if (!found) {
      const text = files.get(file)!;
      // Chart versions are sites too (a chart pushed to ECR is an `ECR Image Action` whose tag is the version).
      helmRepositories ??= ociHelmRepositoriesIn(files);
      found = isManifestFile(file)
        ? [...findImageSites(file, text), ...findChartSites(file, text, helmRepositories)]
        : [];
      sites.set(file, found);
    }
    return found;
  };
  const plan: ImageUpdatePlan = { groups: [], skipped: [], matchedPolicies: [] };
  const edits = new Map<string, Map<string, ScalarEdit[]>>(); // group key → file → edits
  const groupOf = new Map<string, WriteGroup>();
  const unconfirmed = new Set<string>();

  for (const policy of policies) {
    const mine = pushes.filter((p) => sameRepository(p.repository, policy.repository));
    if (mine.length === 0) continue;
    plan.matchedPolicies.push(policy.name);
    const candidates: (TagCandidate & { push: ImagePush })[] = mine.map((p) => ({
      tag: p.tag,
      pushedAt: p.pushedAt,
      push: p,
    }));
    const best = selectTag(policy.strategy, candidates) as (TagCandidate & { push: ImagePush }) | undefined;
    if (!best) {
      const verdict = tagAllowed(policy.strategy, candidates[candidates.length - 1]!);
      plan.skipped.push({ policy: policy.name, reason: verdict.allowed ? 'no allowed tag' : verdict.reason });
      continue;
    }
    // Parse only files that can mention the policy: a reference to `…/web` has `web` in its text, and a setter comment
    // names the policy or its Flux ImagePolicy. On a 2,000-file folder this skips almost every parse.
    const needles = [policy.repository.slice(policy.repository.lastIndexOf('/') + 1), policy.name];
    if (policy.fluxImagePolicy) needles.push(policy.fluxImagePolicy);
    const owned = [...files.keys()]
      .filter((f) => policyCovers(policy, f) && needles.some((n) => files.get(f)!.includes(n)))
      .sort()
      .flatMap(sitesIn)
      .filter((site) => owns(policy, site));
    if (owned.length === 0) {
      plan.skipped.push({
        policy: policy.name,
        reason: `no reference to ${policy.repository} in ${policy.paths.join(', ')}`,
      });
      continue;
    }
    const update: PolicyUpdate = { policy, push: best.push, changes: [] };
    const target = writeTargetOf(policy, context.defaultBranch);
    const key = targetKey(target);
    const fileEdits = edits.get(key) ?? new Map<string, ScalarEdit[]>();
    const reasons = new Set<string>();
    const pushedAt = (tag: string) => context.pushedAt?.(policy.repository, tag);
    const fresh = freshnessOf(policy, best, owned, pushedAt);
    const known = context.imagesOf?.(policy.repository);
    const verdict: DigestVerdict = known
      ? registryVerdict(policy, best, known)
      : fresh.upgrades
        ? 'confirmed'
        : 'unconfirmed';
    for (const site of owned) {
      const moved = moveSite(site, policy, best, fresh, verdict, pushedAt);
      if ('skip' in moved) {
        reasons.add(moved.skip);
        continue;
      }
      if (moved.unconfirmed) unconfirmed.add(policy.repository);
      fileEdits.set(site.file, [...(fileEdits.get(site.file) ?? []), ...moved.edits]);
      update.changes.push({ file: site.file, line: site.line, from: moved.from, to: moved.to, policy: policy.name });
    }
    if (update.changes.length === 0) {
      plan.skipped.push({ policy: policy.name, reason: [...reasons].join('; ') });
      continue;
    }
    edits.set(key, fileEdits);
    let group = groupOf.get(key);
    if (!group) {
      group = { writeBack: policy.writeBack, target, updates: [], files: new Map() };
      groupOf.set(key, group);
      plan.groups.push(group);
    }
    group.updates.push(update);
  }

  for (const [key, fileEdits] of edits) {
    const group = groupOf.get(key)!;
    for (const [file, list] of fileEdits) {
      try {
        group.files.set(file, rewriteYaml(file, files.get(file)!, dedupe(list)));
      } catch (e) {
        if (!(e instanceof RewriteRefused)) throw e;
        // A file we cannot rewrite safely is left out whole, and so are the changes reported for it.
        for (const u of group.updates) {
          if (u.changes.some((c) => c.file === file)) plan.skipped.push({ policy: u.policy.name, reason: e.message });
          u.changes = u.changes.filter((c) => c.file !== file);
        }
      }
    }
    group.updates = group.updates.filter((u) => u.changes.length > 0);
  }
  plan.groups = plan.groups.filter((g) => g.updates.length > 0);
  if (unconfirmed.size > 0) plan.unconfirmed = [...unconfirmed];
  return plan;
}

/**
 * Whether a site is the policy's. A marked value belongs to the policy its marker names, and to no other. An unmarked
 * reference belongs to a policy that follows its repository, unless the policy stands in for a Flux ImagePolicy:
 * Flux moves only marked values, and so does its stand-in, so a repository moved over from Flux changes as it did.
 */
function owns(policy: ImagePolicy, site: ImageSite): boolean {
  if (site.marker) return markerNames(site.marker, policy);
  return policy.fluxImagePolicy === undefined && sameRepository(site.name ?? '', policy.repository);
}

/** Registries are case-insensitive; repository paths are lower-case by the reference grammar. */
function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Two policies may own the same scalar only through a mistake; the first edit wins, the rest would overlap. */
function dedupe(list: ScalarEdit[]): ScalarEdit[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = `${e.start}:${e.end}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
