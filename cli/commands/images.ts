import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { type Command, Option } from 'commander';
import { IMAGE_POLICY_FILE, parseImagePolicies } from '../../core/images/image-policy';
import { isImageDigest, isImageTag, parseImageRef } from '../../core/images/image-ref';
import { type ImageChange, type ImageSkip, planImageUpdate } from '../../core/images/plan-image-update';

interface UpdateOptions {
  image: string;
  tag: string;
  digest?: string;
  pushedAt?: string;
  dryRun?: boolean;
  output: 'text' | 'json';
}

/**
 * `tidemark images update DIR`: what the image updater would change for one pushed image, applied to a checkout on
 * disk with the same planner as the Lambda, without committing. Exit 0 when it ran (whether or not anything moved),
 * 2 on bad input or an invalid policy file (DESIGN.md, the CLI table).
 */
export function register(program: Command): void {
  const images = program.command('images').description('image policies and updates (.tidemark/images.yaml)');
  images
    .command('update')
    .description("apply the checkout's image policies for one pushed image to the files on disk, as the Lambda would")
    .argument('<dir>', 'a checkout of the config repo')
    .requiredOption(
      '--image <image>',
      'the pushed repository, such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/web',
    )
    .requiredOption('--tag <tag>', 'the pushed tag')
    .option('--digest <digest>', 'the pushed digest (sha256:…), written where a policy pins digests')
    .option('--pushed-at <iso>', 'when the image was pushed, for latest-pushed policies (default: now)')
    .option('--dry-run', 'print the changes; write nothing')
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action((dir: string, options: UpdateOptions) => {
      process.exitCode = update(dir, options);
    });
}

function update(dir: string, options: UpdateOptions): number {
  try {
    const push = pushFrom(options);
    const policyText = readText(join(dir, IMAGE_POLICY_FILE));
    if (policyText === undefined)
      throw new Error(`${join(dir, IMAGE_POLICY_FILE)} does not exist. Is ${dir} a config repo checkout?`);
    const policies = parseImagePolicies(policyText);
    const files = new Map<string, string>();
    for (const policy of policies) for (const path of policy.paths) readTree(dir, path, files);
    // On disk every change lands in the same files, whatever the write-back: plan them as one group (one target, the
    // checkout), so two policies editing one file produce one rewrite of it.
    const plan = planImageUpdate(
      push,
      policies.map((p) => ({ ...p, writeBack: { kind: 'push' as const } })),
      files,
      { defaultBranch: dir },
    );
    const changes = plan.groups.flatMap((g) => g.updates.flatMap((u) => u.changes));
    if (!options.dryRun) {
      for (const group of plan.groups) for (const [path, text] of group.files) writeFileSync(join(dir, path), text);
    }
    print(
      changes,
      plan.matchedPolicies.length === 0
        ? [{ policy: '-', reason: `no policy names ${push.repository}` }]
        : plan.skipped,
      options,
    );
    return 0;
  } catch (e) {
    console.error(`tidemark: ${(e as Error).message}`);
    return 2;
  }
}

function pushFrom(options: UpdateOptions) {
  const ref = parseImageRef(options.image);
  if (!ref || ref.tag || ref.digest) {
    throw new Error(`--image ${options.image} is not an image repository. Pass it without tag, such as 'acme.io/web'`);
  }
  if (!isImageTag(options.tag)) throw new Error(`--tag ${options.tag} is not an image tag`);
  if (options.digest && !isImageDigest(options.digest))
    throw new Error(`--digest ${options.digest} is not a digest. Pass sha256:<64 hex digits>`);
  const pushedAt = options.pushedAt ? new Date(options.pushedAt) : new Date();
  if (Number.isNaN(pushedAt.getTime()))
    throw new Error(`--pushed-at ${options.pushedAt} is not a time. Pass ISO 8601, such as 2026-01-31T12:00:00Z`);
  return { repository: ref.name, tag: options.tag, digest: options.digest, pushedAt };
}

function print(changes: ImageChange[], skipped: ImageSkip[], options: UpdateOptions): void {
  if (options.output === 'json') {
    console.log(JSON.stringify({ changes, skipped }, null, 2));
    return;
  }
  for (const c of changes) console.log(`${c.file}:${c.line} ${c.from} → ${c.to} (${c.policy})`);
  for (const s of skipped) console.log(`skipped ${s.policy}: ${s.reason}`);
  if (changes.length === 0 && skipped.length === 0) console.log('nothing to change');
  else if (options.dryRun && changes.length > 0) console.log('(dry run: nothing written)');
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Adds the files under `path` (a file or folder of the checkout) to `files`, keyed by repo-relative path. */
function readTree(dir: string, path: string, files: Map<string, string>): void {
  const full = join(dir, path);
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(full);
  } catch {
    return; // a policy path that does not exist in this checkout covers nothing
  }
  const entries = stat.isDirectory()
    ? readdirSync(full, { recursive: true, encoding: 'utf8' }).map((p) => join(full, p))
    : [full];
  for (const entry of entries) {
    const key = relative(dir, entry).split(sep).join('/');
    if (key.split('/').includes('.git') || files.has(key) || !statSync(entry).isFile()) continue;
    files.set(key, readFileSync(entry, 'utf8'));
  }
}
