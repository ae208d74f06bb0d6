import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { type Command, Option } from 'commander';
import { IMAGE_POLICY_FILE, parseImagePolicies } from '../../core/images/image-policy';
import { isImageDigest, isImageTag, parseImageRef } from '../../core/images/image-ref';
import { isManifestFile } from '../../core/images/image-site';
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
    const unread: UnreadFile[] = [];
    for (const policy of policies) for (const path of policy.paths) readTree(dir, path, files, unread);
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
      unread,
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

function print(changes: ImageChange[], skipped: ImageSkip[], unread: UnreadFile[], options: UpdateOptions): void {
  if (options.output === 'json') {
    console.log(JSON.stringify({ changes, skipped, ...(unread.length > 0 ? { unread } : {}) }, null, 2));
    return;
  }
  for (const c of changes) console.log(`${c.file}:${c.line} ${c.from} → ${c.to} (${c.policy})`);
  for (const s of skipped) console.log(`skipped ${s.policy}: ${s.reason}`);
  for (const u of unread) console.log(`not read ${u.file}: ${u.reason}`);
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

/** A file under a policy path that was not read, and why. */
export interface UnreadFile {
  file: string;
  reason: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Adds the manifest files under `path` (a file or folder of the checkout) to `files`, keyed by repo-relative path.
 * As Flux does, a file that cannot be read is skipped with a note instead of failing the update; so is every symbolic
 * link, which Tidemark never follows (a link may leave the checkout, and the Lambda reads a link from git as its
 * target's path, not as the file it points to). A file that is not UTF-8 could not be written back byte for byte.
 */
function readTree(dir: string, path: string, files: Map<string, string>, unread: UnreadFile[]): void {
  const full = join(dir, path);
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(full);
  } catch {
    return; // a policy path that does not exist in this checkout covers nothing
  }
  const entries = stat.isDirectory()
    ? readdirSync(full, { recursive: true, withFileTypes: true }).map((e) => ({
        path: join(e.parentPath, e.name),
        kind: e.isSymbolicLink() ? 'link' : e.isFile() ? 'file' : e.isDirectory() ? 'folder' : 'other',
      }))
    : [{ path: full, kind: stat.isSymbolicLink() ? 'link' : stat.isFile() ? 'file' : 'other' }];
  for (const entry of entries) {
    const key = relative(dir, entry.path).split(sep).join('/');
    if (entry.kind === 'folder' || key.split('/').includes('.git') || files.has(key) || !isManifestFile(key)) continue;
    if (unread.some((u) => u.file === key)) continue;
    const skip = (reason: string) => unread.push({ file: key, reason });
    if (entry.kind === 'link') {
      skip('is a symbolic link, which Tidemark does not follow; name the file it points to in the policy instead');
      continue;
    }
    if (entry.kind !== 'file') {
      skip('is not a regular file');
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(entry.path);
    } catch (e) {
      skip(`could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      continue;
    }
    try {
      files.set(key, utf8.decode(bytes));
    } catch {
      skip('is not UTF-8 text, so it could not be written back byte for byte');
    }
  }
}
