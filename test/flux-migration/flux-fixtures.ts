import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { corpusPath } from '../support/corpus';

/**
 * Flux's own setter fixtures (image-automation-controller `internal/update/testdata` and `internal/policy/testdata`,
 * in the shared corpus under `flux-image-automation/`), each with the image policies its upstream Go test sets,
 * written as Tidemark policies: one per Flux `ImagePolicy`, mapped by `fluxImagePolicy`, and the images those policies
 * have selected, as pushes. The corpus README lists the policies; the older unmarked fixtures (`replace`, `leave`)
 * take theirs from the Go test that used them (`UpdateImageEverywhere(…, "used", "used:v1.1.0")`).
 */
export interface FluxFixture {
  name: string;
  /** The fixture's tree before and after, in the corpus. */
  original: string;
  expected: string;
  /** `.tidemark/images.yaml` for the config repo built from `original`. */
  policies: string;
  /** The images the policies selected, as pushes (`repository`, `tag`, `digest`). */
  pushes: { repository: string; tag: string; digest?: string }[];
  /**
   * How `expected` is to be matched. `bytes`: each file in `expected/` byte for byte, every other file unchanged.
   * `yaml`: the fixtures written for Flux's old serializer, which re-indented whole files (upstream compared them as
   * YAML); Tidemark changes only the tag's characters, so it matches them as YAML and keeps every other byte.
   */
  match: 'bytes' | 'yaml';
  /** The `SETTER_SITE` placeholder of the policy fixtures stands for a marker naming the fixture's policy. */
  setterSite?: string;
}

const DIGEST = 'sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be';
const root = 'flux-image-automation/internal';
const policy = (name: string, repository: string, paths: string, extra = '') =>
  `  - name: ${name}\n    repository: ${repository}\n    strategy: { semver: ">=0.0.0" }\n${extra}    update: { paths: [${paths}] }\n`;

export const FLUX_FIXTURES: FluxFixture[] = [
  {
    name: 'setters',
    original: `${root}/update/testdata/setters/original`,
    expected: `${root}/update/testdata/setters/expected`,
    policies: `policies:\n${[
      policy('policy', 'index.repo.fake/updated', '.', '    fluxImagePolicy: automation-ns:policy\n'),
      policy('unchanged', 'image', '.', '    fluxImagePolicy: automation-ns:unchanged\n'),
      policy(
        'policy-with-digest',
        'image',
        '.',
        '    fluxImagePolicy: automation-ns:policy-with-digest\n    digest: pin\n',
      ),
    ].join('')}`,
    pushes: [
      { repository: 'index.repo.fake/updated', tag: 'v1.0.1' },
      { repository: 'image', tag: 'v1.0.0', digest: DIGEST },
    ],
    match: 'bytes',
  },
  {
    name: 'appconfig',
    original: `${root}/policy/testdata/appconfig`,
    expected: `${root}/policy/testdata/appconfig-setters-expected`,
    policies: `policies:\n${policy('helloworld', 'helloworld', '.', '    fluxImagePolicy: automation-ns:helloworld\n')}`,
    pushes: [{ repository: 'helloworld', tag: '1.0.1' }],
    match: 'bytes',
    setterSite: '{"$imagepolicy": "automation-ns:helloworld"}',
  },
  {
    name: 'pathconfig',
    original: `${root}/policy/testdata/pathconfig`,
    expected: `${root}/policy/testdata/pathconfig-expected`,
    policies: `policies:\n${policy('helloworld', 'helloworld', './yes', '    fluxImagePolicy: automation-ns:helloworld\n')}`,
    pushes: [{ repository: 'helloworld', tag: '1.0.1' }],
    match: 'bytes',
    setterSite: '{"$imagepolicy": "automation-ns:helloworld"}',
  },
  {
    name: 'replace',
    original: `${root}/update/testdata/replace/original`,
    expected: `${root}/update/testdata/replace/expected`,
    policies: `policies:\n${policy('used', 'used', '.')}`,
    pushes: [{ repository: 'used', tag: 'v1.1.0' }],
    match: 'bytes',
  },
  {
    name: 'replace (commented)',
    original: `${root}/update/testdata/replace/commented`,
    expected: `${root}/update/testdata/replace/commented-expected`,
    policies: `policies:\n${policy('used', 'used', '.')}`,
    pushes: [{ repository: 'used', tag: 'v1.1.0' }],
    match: 'yaml',
  },
  {
    name: 'leave',
    original: `${root}/update/testdata/leave/original`,
    expected: `${root}/update/testdata/leave/expected`,
    policies: `policies:\n${policy('notused', 'notused', '.')}`,
    pushes: [{ repository: 'notused', tag: 'v1.0.1' }],
    match: 'yaml',
  },
];

/**
 * Files of the fixtures that upstream holds as symbolic links. The corpus was copied without symlinks, so such a file
 * holds the link's target as its text; the config repo built for a test makes it a link again.
 */
const SYMLINKS: Record<string, Record<string, string>> = {
  setters: { 'test.yaml': 'testing.yaml' },
};

/** One entry of a fixture tree: a file's bytes, or a symbolic link's target. */
export type TreeEntry = { kind: 'file'; bytes: Buffer } | { kind: 'link'; target: string };

/** The tree of a fixture folder as it should be in the config repo, placeholder filled in and symlinks restored. */
export function fixtureTree(fixture: FluxFixture, which: 'original' | 'expected'): Map<string, TreeEntry> {
  const dir = corpusPath(fixture[which]);
  const tree = new Map<string, TreeEntry>();
  for (const path of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = join(dir, path);
    const key = relative(dir, full).split(sep).join('/');
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) tree.set(key, { kind: 'link', target: readlinkSync(full) });
    else if (stat.isFile()) {
      const link = SYMLINKS[fixture.name]?.[key];
      const bytes = readFileSync(full);
      if (link !== undefined && bytes.toString('utf8') === link) tree.set(key, { kind: 'link', target: link });
      else tree.set(key, { kind: 'file', bytes: fill(fixture, bytes) });
    }
  }
  return tree;
}

function fill(fixture: FluxFixture, bytes: Buffer): Buffer {
  return fixture.setterSite ? Buffer.from(bytes.toString('utf8').replaceAll('SETTER_SITE', fixture.setterSite)) : bytes;
}

/** A temporary checkout of the fixture's original tree with its `.tidemark/images.yaml`, as a Flux user would have. */
export function checkoutOf(fixture: FluxFixture): string {
  const dir = mkdtempSync(join(tmpdir(), `tidemark-flux-${fixture.name.replace(/\W+/g, '-')}-`));
  for (const [path, entry] of fixtureTree(fixture, 'original')) writeEntry(dir, path, entry);
  writeEntry(dir, '.tidemark/images.yaml', { kind: 'file', bytes: Buffer.from(fixture.policies) });
  return dir;
}

function writeEntry(dir: string, path: string, entry: TreeEntry): void {
  const full = join(dir, path);
  mkdirSync(dirname(full), { recursive: true });
  if (entry.kind === 'link') symlinkSync(entry.target, full);
  else writeFileSync(full, entry.bytes);
}

/**
 * How a result differs from what the fixture expects, in words (empty when it matches). `result` maps each path of
 * the original tree to what Tidemark left there.
 */
export function differences(fixture: FluxFixture, result: ReadonlyMap<string, TreeEntry>): string[] {
  const original = fixtureTree(fixture, 'original');
  const expected = fixtureTree(fixture, 'expected');
  const out: string[] = [];
  for (const [path, before] of original) {
    const after = result.get(path);
    if (!after) {
      out.push(`${path}: missing after the update`);
      continue;
    }
    const want = expected.get(path) ?? before; // a file absent from expected/ stays byte-identical
    if (fixture.match === 'bytes' || !expected.has(path)) {
      if (!sameEntry(after, want)) out.push(`${path}: differs from ${expected.has(path) ? 'expected/' : 'original/'}`);
    } else if (after.kind !== 'file' || want.kind !== 'file' || before.kind !== 'file') {
      out.push(`${path}: is not a file`);
    } else {
      if (!sameYaml(after.bytes, want.bytes)) out.push(`${path}: does not read as expected/ does`);
      if (!onlyTagsMoved(fixture, before.bytes, after.bytes)) out.push(`${path}: changed more than the tags`);
    }
  }
  for (const path of result.keys()) if (!original.has(path)) out.push(`${path}: not in the original tree`);
  return out;
}

function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  return a.kind === 'link' ? b.kind === 'link' && a.target === b.target : b.kind === 'file' && a.bytes.equals(b.bytes);
}

/** Whether `after` is `before` with nothing changed but the tags of the pushed repositories' references. */
function onlyTagsMoved(fixture: FluxFixture, before: Buffer, after: Buffer): boolean {
  const untagged = (bytes: Buffer) =>
    fixture.pushes.reduce(
      (text, p) => text.replace(new RegExp(`(\\b${p.repository.replace(/[.]/g, '\\.')}):[\\w.-]+`, 'g'), '$1:TAG'),
      bytes.toString('utf8'),
    );
  return untagged(before) === untagged(after);
}

/** Same documents, and the same comments in the same order (what upstream's YAML comparison checked, and more). */
function sameYaml(a: Buffer, b: Buffer): boolean {
  const read = (bytes: Buffer) => {
    const text = bytes.toString('utf8');
    return JSON.stringify([parseAllDocuments(text).map((d) => d.toJS()), text.match(/#.*$/gm) ?? []]);
  };
  return read(a) === read(b);
}

/** What a checkout holds after the update, for the original tree's paths and anything new (`.tidemark/` aside). */
export function treeOf(dir: string): Map<string, TreeEntry> {
  const tree = new Map<string, TreeEntry>();
  for (const path of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const key = path.split(sep).join('/');
    if (key === '.git' || key.startsWith('.git/') || key.startsWith('.tidemark')) continue;
    const full = join(dir, path);
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) tree.set(key, { kind: 'link', target: readlinkSync(full) });
    else if (stat.isFile()) tree.set(key, { kind: 'file', bytes: readFileSync(full) });
  }
  return tree;
}
