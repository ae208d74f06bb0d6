import validRange from 'semver/ranges/valid.js';
import { isMap, isNode, LineCounter, parseDocument } from 'yaml';
import { locateIssue } from '../config/yaml-issue';
import * as z from '../zod';
import { parseImageRef } from './image-ref';

/** Where image policies live in the config repo. */
export const IMAGE_POLICY_FILE = '.tidemark/images.yaml';

/**
 * How a policy chooses among tags. Each kind is what a Flux or Argo CD user knows:
 * - `semver`: the highest version in `range` (pre-releases only when the range names one, as npm's `semver` does);
 * - `latest-pushed`: the most recently pushed tag, optionally among those matching `tagPattern`;
 * - `numeric` / `alphabetical`: tags matching `tagPattern`, ordered by the named group `extract`.
 */
export type TagStrategy =
  | { kind: 'semver'; range: string }
  | { kind: 'latest-pushed'; tagPattern?: RegExp }
  | { kind: 'numeric'; tagPattern: RegExp; extract: string }
  | { kind: 'alphabetical'; tagPattern: RegExp; extract: string };

/** How a change reaches the config repo: a commit on a branch, or a pull request into `base`. */
export type WriteBack =
  | { kind: 'push'; branch?: string }
  | { kind: 'pull-request'; base?: string; branchPrefix: string };

/** One entry of `.tidemark/images.yaml`: which pushes move which files, and how the change is written back. */
export interface ImagePolicy {
  name: string;
  /** The repository's full name without tag: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web`. */
  repository: string;
  strategy: TagStrategy;
  /** `pin` writes `tag@sha256:…` wherever a reference can carry a digest. */
  digest: 'pin' | 'none';
  /** Folders or files (repo-relative) the policy may change. */
  paths: string[];
  writeBack: WriteBack;
  /**
   * The Flux `ImagePolicy` this policy stands in for, as `namespace:name`: values marked
   * `# {"$imagepolicy": "<namespace>:<name>[:tag|:name|:digest]"}` are this policy's, and, as with Flux, it moves no
   * unmarked reference. A Flux marker that names no policy's `fluxImagePolicy` is left alone.
   */
  fluxImagePolicy?: string;
  /** 1-based line of the policy in the file, for messages. */
  line: number;
}

/** A policy file that cannot be used. The message names the file, line and key, the problem and the fix. */
export class ImagePolicyError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly key: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${key}: ${problem}`, options);
    this.name = 'ImagePolicyError';
  }
}

function regex(what: string) {
  return z.pipe(
    z.string(),
    z.transform((source: string, ctx) => {
      try {
        return new RegExp(source);
      } catch (e) {
        ctx.issues.push({
          code: 'custom',
          message: `is not a valid regular expression (${(e as Error).message}). ${what}`,
          input: source,
        });
        return z.NEVER;
      }
    }),
  );
}

const patternWithExtract = z
  .strictObject({
    tagPattern: regex("Write a JavaScript regex with a named group, such as '^build-(?<n>\\d+)$'"),
    extract: z.string().check(z.minLength(1)),
  })
  .check(
    z.superRefine((s, ctx) => {
      if (!new RegExp(`\\(\\?<${s.extract}>`).test(s.tagPattern.source)) {
        ctx.addIssue({
          code: 'custom',
          path: ['extract'],
          message: `names a group '${s.extract}' that tagPattern does not have. Add '(?<${s.extract}>…)' to tagPattern`,
        });
      }
    }),
  );

/** Exactly one of the keys of `shape` must be set; the error names them all, and a bad value is reported at its key. */
function oneOf<T extends z.core.$ZodLooseShape>(shape: T, what: string) {
  const keys = Object.keys(shape);
  return z.partial(z.strictObject(shape)).check(
    z.superRefine((value, ctx) => {
      const set = keys.filter((k) => (value as Record<string, unknown>)[k] !== undefined);
      if (set.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: `must set exactly one of ${keys.join(', ')}, not ${set.length}. ${what}`,
        });
      }
    }),
  );
}

const StrategySchema = z.pipe(
  oneOf(
    {
      semver: z.string().check(
        z.refine((r) => validRange(r) !== null, {
          message: "is not a semver range. Use a range such as '>=1.0.0 <2.0.0' or '~1.0.0'",
        }),
      ),
      latestPushed: z.strictObject({ tagPattern: z.optional(regex('Write a JavaScript regex')) }),
      numeric: patternWithExtract,
      alphabetical: patternWithExtract,
    },
    'Pick one strategy, such as \'semver: ">=1.0.0 <2.0.0"\'',
  ),
  z.transform((s): TagStrategy => {
    if (s.semver !== undefined) return { kind: 'semver', range: s.semver };
    if (s.latestPushed) return { kind: 'latest-pushed', tagPattern: s.latestPushed.tagPattern };
    if (s.numeric) return { kind: 'numeric', ...s.numeric };
    return { kind: 'alphabetical', ...s.alphabetical! };
  }),
);

const repoPath = z.pipe(
  z.string().check(
    z.minLength(1),
    z.refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), {
      message: "must be a path inside the config repo, without a leading '/' or '..'. Write it as 'clusters/dev'",
    }),
  ),
  z.transform((p: string) => p.replace(/\/+$/, '').replace(/^\.\//, '')),
);

// A Kubernetes namespace (a DNS label) and an object name (a DNS subdomain), as a Flux marker writes them.
const fluxPolicyName = z
  .string()
  .check(
    z.regex(
      /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
      "must be the Flux ImagePolicy's namespace:name, as its markers write it, such as 'flux-system:podinfo'",
    ),
  );

const branchName = z.string().check(z.regex(/^(?!\/)(?!.*\.\.)[\w./-]+(?<!\/)$/, 'is not a branch name'));

const PolicySchema = z.strictObject({
  name: z
    .string()
    .check(
      z.regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be lower-case letters, digits, '-' or '.', such as 'web-prod'"),
    ),
  repository: z.string().check(
    z.refine(
      (r) => {
        const ref = parseImageRef(r);
        return ref !== undefined && !ref.tag && !ref.digest;
      },
      {
        message: "must be an image repository without tag, such as '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web'",
      },
    ),
  ),
  strategy: StrategySchema,
  digest: z._default(z.enum(['pin', 'none']), 'none'),
  fluxImagePolicy: z.optional(fluxPolicyName),
  update: z.strictObject({
    paths: z.array(repoPath).check(z.minLength(1, 'must list at least one folder or file the policy may change')),
  }),
  writeBack: z._default(
    z.pipe(
      oneOf(
        {
          push: z.strictObject({ branch: z.optional(branchName) }),
          pullRequest: z.strictObject({
            base: z.optional(branchName),
            branchPrefix: z._default(branchName, 'tidemark/'),
          }),
        },
        "Choose how changes are written back: 'push: {branch: main}' or 'pullRequest: {base: main}'",
      ),
      z.transform(
        (w): WriteBack => (w.push ? { kind: 'push', ...w.push } : { kind: 'pull-request', ...w.pullRequest! }),
      ),
    ),
    { kind: 'push' },
  ),
});

const PolicyFileSchema = z.strictObject({ policies: z.array(PolicySchema) }).check(
  z.superRefine((file, ctx) => {
    const seen = new Set<string>();
    const flux = new Map<string, string>();
    file.policies.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'name'],
          message: `'${p.name}' names two policies. Give each policy its own name`,
        });
      }
      seen.add(p.name);
      const owner = p.fluxImagePolicy && flux.get(p.fluxImagePolicy);
      if (owner) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'fluxImagePolicy'],
          message: `'${p.fluxImagePolicy}' is already the Flux ImagePolicy of '${owner}'. A marker must name one policy: map each Flux ImagePolicy once`,
        });
      }
      if (p.fluxImagePolicy) flux.set(p.fluxImagePolicy, p.name);
    });
  }),
);

/**
 * Parses and validates `.tidemark/images.yaml`. An error names the file, the line, and the key:
 * `.tidemark/images.yaml:7: policies[0].strategy.semver: is not a semver range. Use a range such as '~1.0.0'`.
 */
export function parseImagePolicies(text: string, file = IMAGE_POLICY_FILE): ImagePolicy[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ImagePolicyError(
      file,
      lineAt(e.pos[0]),
      '(yaml)',
      `is not valid YAML (${e.message.split('\n')[0]}). Fix the syntax`,
      {
        cause: e,
      },
    );
  }
  const result = PolicyFileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const { line, key, missing } = locateIssue(doc, lines, result.error.issues[0]!);
    const message = missing
      ? 'is required. Add it (see the example in examples/config-repo/.tidemark/images.yaml)'
      : result.error.issues[0]!.message;
    throw new ImagePolicyError(file, line, key, message, { cause: result.error });
  }
  const policiesNode = doc.get('policies', true);
  return result.data.policies.map((p, i) => {
    const node = isNode(policiesNode) && 'items' in policiesNode ? (policiesNode.items as unknown[])[i] : undefined;
    const line = isMap(node) && node.range ? lineAt(node.range[0]) : 1;
    return {
      name: p.name,
      repository: parseImageRef(p.repository)!.name,
      strategy: p.strategy,
      digest: p.digest,
      paths: p.update.paths,
      writeBack: p.writeBack,
      ...(p.fluxImagePolicy ? { fluxImagePolicy: p.fluxImagePolicy } : {}),
      line,
    };
  });
}

/** Whether `file` (repo-relative) is one the policy may change. */
export function policyCovers(policy: Pick<ImagePolicy, 'paths'>, file: string): boolean {
  return policy.paths.some((p) => p === '.' || p === '' || file === p || file.startsWith(`${p}/`));
}
