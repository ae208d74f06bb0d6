import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ImagePolicy } from './image-policy';
import { findImageSites } from './image-site';
import { planImageUpdate } from './plan-image-update';
import { RewriteRefused, rewriteYaml, type ScalarEdit } from './rewrite-yaml';

/** An edit replacing the whole value of the scalar of the first reference's tag. */
function tagEdit(source: string, text: string): ScalarEdit {
  const slot = findImageSites('f.yaml', source)[0]!.tag!;
  const start = slot.site.start + slot.offset;
  return { site: slot.site, start, end: start + slot.length, text };
}

describe('rewriteYaml', () => {
  it('changes only the characters of the tag', () => {
    const source = 'kind: Pod # c\r\nspec:\r\n  containers:\r\n    - image: "acme.io/web:1.0.0"  # keep\r\n\r\n';
    expect(rewriteYaml('f.yaml', source, [tagEdit(source, '1.2.0')])).toBe(source.replace('1.0.0', '1.2.0'));
  });

  it('refuses an edit that would turn a string into a number', () => {
    const source = 'image:\n  repository: acme.io/web\n  tag: v1\n';
    expect(() => rewriteYaml('f.yaml', source, [tagEdit(source, '10')])).toThrow(RewriteRefused);
  });

  it('refuses an edit that would start a comment or break the structure, naming the file', () => {
    const source = 'image: acme.io/web:1.0.0\nx: 1\n';
    expect(() => rewriteYaml('f.yaml', source, [tagEdit(source, '1 #x')])).toThrow(/^f\.yaml: refused to rewrite/);
    expect(() => rewriteYaml('f.yaml', source, [tagEdit(source, '1\ny: [')])).toThrow(RewriteRefused);
  });

  it('refuses an edit whose text the quoting would read as an escape', () => {
    const single = "image: 'acme.io/web:1.0.0'\n";
    expect(() => rewriteYaml('f.yaml', single, [tagEdit(single, "''")])).toThrow(/the value would read/);
    const double = 'image: "acme.io/web:1.0.0"\n';
    expect(() => rewriteYaml('f.yaml', double, [tagEdit(double, '\\t1')])).toThrow(/the value would read/);
  });

  it('refuses overlapping edits', () => {
    const source = 'image: acme.io/web:1.0.0\n';
    const edit = tagEdit(source, '2.0.0');
    expect(() => rewriteYaml('f.yaml', source, [edit, { ...edit, text: '3.0.0' }])).toThrow(/two edits overlap/);
  });
});

// Property: whatever surrounds the image line (comments, blank lines, CRLF, quoting, anchors and aliases, block
// scalars, flow collections, document separators, indentation), the update changes exactly the tag characters.
const policy: ImagePolicy = {
  name: 'web',
  repository: 'acme.io/team/web',
  strategy: { kind: 'semver', range: '^1.0.0' },
  digest: 'none',
  paths: ['.'],
  writeBack: { kind: 'push' },
  line: 1,
};

const comment = fc.stringMatching(/^[ -~]{0,20}$/).map((s) => `# ${s}`);
const scalar = fc.oneof(
  fc.constantFrom('plain', '"double # not a comment"', "'single'", '1.0', 'true', '~', '[a, {b: c}]', '{x: 1}'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
);
// Keys end in `@` and are numbered when the document is assembled: YAML forbids duplicate keys in one map.
const key = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,8}$/).map((k) => `${k}@`);
const sibling = fc.oneof(
  fc.tuple(key, scalar, fc.option(comment)).map(([k, v, c]) => [`${k}: ${v}${c ? ` ${c}` : ''}`]),
  fc
    .tuple(key, fc.array(fc.stringMatching(/^[!-~][ -~]{0,11}$/), { minLength: 1, maxLength: 3 }))
    .map(([k, lines]) => [`${k}: |`, ...lines.map((l) => `  ${l}`)]),
  key.map((k) => [`${k}: &anchor${k} shared`, `${k}Alias: *anchor${k}`]),
  comment.map((c) => [c]),
  fc.constant<string[]>(['']),
);
const layout = fc.record({
  eol: fc.constantFrom('\n', '\r\n'),
  indent: fc.constantFrom('  ', '    '),
  quote: fc.constantFrom('', '"', "'"),
  trailing: fc.option(comment),
  before: fc.array(sibling, { maxLength: 4 }),
  after: fc.array(sibling, { maxLength: 4 }),
  docBefore: fc.option(fc.array(sibling, { minLength: 1, maxLength: 3 })),
  docAfter: fc.boolean(),
  header: fc.option(comment),
  finalNewline: fc.boolean(),
});

const DIGEST = `sha256:${'5'.repeat(64)}`;
/** The reference under test, in each form discovery knows; `tag` is what the file holds (and `pinned` a digest). */
const forms = {
  image: (q: string, t: string, tag: string) => [`image: ${q}acme.io/team/web:${tag}${q}${t}`],
  pinned: (q: string, t: string, tag: string, pinned: boolean) => [
    `image: ${q}acme.io/team/web:${tag}${pinned ? `@${DIGEST}` : ''}${q}${t}`,
  ],
  helm: (q: string, t: string, tag: string) => [
    'image:',
    '  repository: acme.io/team/web',
    `  tag: ${q}${tag}${q}${t}`,
  ],
  flux: (q: string, _t: string, tag: string) => [`version: ${q}${tag}${q} # {"$imagepolicy": "flux-system:web:tag"}`],
  kustomize: (q: string, t: string, tag: string) => [
    'images:',
    '- name: acme.io/team/web',
    `  newTag: ${q}${tag}${q}${t}`,
  ],
};

/** The file around one form of reference, laid out as `l` says; `lines` is the form itself, unindented. */
function layoutAround(l: Layout, top: boolean, lines: string[]): string {
  const unique = (groups: string[][], from: number) =>
    groups.map((group, i) => group.map((x) => x.replaceAll('@', `_${from + i}`)));
  // Kustomize's images: is a top-level key; the other forms sit inside a mapping, as in a manifest or values file.
  const indent = top ? '' : l.indent;
  const nest = (groups: string[][], from: number) =>
    unique(groups, from)
      .flat()
      .map((x) => (x === '' ? '' : `${indent}${x}`));
  return (
    [
      ...(l.header ? [l.header] : []),
      ...(l.docBefore ? [...unique(l.docBefore, 100).flat(), '---'] : []),
      ...(top ? [] : ['spec:']),
      ...nest(l.before, 0),
      ...lines.map((x) => `${indent}${x}`),
      ...nest(l.after, 10),
      ...(l.docAfter ? ['---', 'kind: Other', 'data: {a: b}'] : []),
    ].join(l.eol) + (l.finalNewline ? l.eol : '')
  );
}
type Layout = typeof layout extends fc.Arbitrary<infer T> ? T : never;

describe('planImageUpdate on random layouts', () => {
  it('keeps every byte but the tag (and an added digest), for every form of reference', () => {
    fc.assert(
      fc.property(layout, fc.constantFrom(...(Object.keys(forms) as (keyof typeof forms)[])), (l, form) => {
        const top = form === 'kustomize';
        const trailing = l.trailing ? ` ${l.trailing}` : '';
        const doc = (tag: string, pinned: boolean) => layoutAround(l, top, forms[form](l.quote, trailing, tag, pinned));
        const file = top ? 'kustomization.yaml' : 'm.yaml';
        const pin = form === 'pinned';
        const plan = planImageUpdate(
          { repository: 'acme.io/team/web', tag: '1.4.2', digest: DIGEST },
          // The Flux marker names flux-system:web, so the policy stands in for that Flux ImagePolicy.
          [
            {
              ...policy,
              digest: pin ? 'pin' : 'none',
              ...(form === 'flux' ? { fluxImagePolicy: 'flux-system:web' } : {}),
            },
          ],
          new Map([[file, doc('1.0.0', false)]]),
          { defaultBranch: 'main' },
        );
        expect(plan.skipped).toEqual([]);
        expect(plan.groups[0]?.files.get(file)).toBe(doc('1.4.2', pin));
      }),
      { numRuns: 500 },
    );
  });

  // Flux's markers write more than a tag: the policy's repository into a full reference or a :name value, a tag into a
  // bare name, a digest into a :digest value. Each form before and after the push of acme.io/team/web:1.4.2@DIGEST.
  const mark = (suffix = '') => ` # {"$imagepolicy": "flux-system:web${suffix}"}`;
  const fluxForms: Record<string, (q: string, after: boolean, pin: boolean) => string[]> = {
    ref: (q, after, pin) => [
      `image: ${q}${after ? `acme.io/team/web:1.4.2${pin ? `@${DIGEST}` : ''}` : 'old.io/web:1.0.0'}${q}${mark()}`,
    ],
    bare: (q, after, pin) => [
      `image: ${q}${after ? `acme.io/team/web:1.4.2${pin ? `@${DIGEST}` : ''}` : 'web'}${q}${mark()}`,
    ],
    parts: (q, after) => [
      `newName: ${q}${after ? 'acme.io/team/web' : 'web'}${q}${mark(':name')}`,
      `newTag: ${q}${after ? '1.4.2' : '1.0.0'}${q}${mark(':tag')}`,
      `digest: ${q}${after ? DIGEST : `sha256:${'0'.repeat(64)}`}${q}${mark(':digest')}`,
    ],
  };
  it("keeps every byte but the values a Flux marker asks for, for every form of Flux's markers", () => {
    fc.assert(
      fc.property(layout, fc.constantFrom(...Object.keys(fluxForms)), fc.boolean(), (l, form, pin) => {
        const doc = (after: boolean) => layoutAround(l, false, fluxForms[form]!(l.quote, after, pin));
        const plan = planImageUpdate(
          { repository: 'acme.io/team/web', tag: '1.4.2', digest: DIGEST },
          [{ ...policy, digest: pin ? 'pin' : 'none', fluxImagePolicy: 'flux-system:web' }],
          new Map([['m.yaml', doc(false)]]),
          { defaultBranch: 'main' },
        );
        expect(plan.skipped).toEqual([]);
        expect(plan.groups[0]?.files.get('m.yaml')).toBe(doc(true));
      }),
      { numRuns: 500 },
    );
  });
});

describe('rewriteYaml never writes a mangled file', () => {
  it('refuses a tag that would turn a kustomize newTag into a flow map (found by the property below)', () => {
    const source = ['images:', '  - name: registry.example.com/web', '    newTag: 1.0.0', 'after: y', ''].join('\n');
    const slot = findImageSites('kustomization.yaml', source)[0]!.tag!;
    const start = slot.site.start + slot.offset;
    expect(() =>
      rewriteYaml('kustomization.yaml', source, [{ site: slot.site, start, end: start + slot.length, text: "{''}" }]),
    ).toThrow(RewriteRefused);
  });

  // Whatever text an edit tries to put into the tag (quotes, colons, comment marks, line breaks, flow indicators),
  // the result is either refused, or a file that reads exactly like the original with only that value changed.
  const hostile = fc.stringMatching(/^[ -~\n\t#:"'{}[\],&*!|>%@`-]{0,12}$/);
  it('refuses or changes only the intended value, in every form of reference', () => {
    fc.assert(
      fc.property(
        layout,
        hostile,
        fc.constantFrom(...(Object.keys(forms) as (keyof typeof forms)[])),
        (l, text, form) => {
          const lines = forms[form](l.quote, l.trailing && form !== 'flux' ? ` ${l.trailing}` : '', '1.0.0', false);
          const source = [...lines, 'after: y', ''].join(l.eol);
          const file = form === 'kustomize' ? 'kustomization.yaml' : 'f.yaml';
          const slot = findImageSites(file, source)[0]!.tag!;
          const start = slot.site.start + slot.offset;
          let result: string;
          try {
            result = rewriteYaml(file, source, [{ site: slot.site, start, end: start + slot.length, text }]);
          } catch (e) {
            expect(e).toBeInstanceOf(RewriteRefused);
            return;
          }
          const at = source.lastIndexOf('1.0.0');
          const intended = source.slice(0, at) + text + source.slice(at + '1.0.0'.length);
          expect(result).toBe(intended);
          // Same documents as the original, but for that one value.
          const before = JSON.stringify(parseAllDocuments(source).map((d) => d.toJS()));
          const after = JSON.stringify(parseAllDocuments(result).map((d) => d.toJS()));
          const oldValue = source.slice(slot.site.start, slot.site.end);
          const newValue = result.slice(slot.site.start, slot.site.end - '1.0.0'.length + text.length);
          expect(after).toBe(before.replace(JSON.stringify(oldValue), () => JSON.stringify(newValue)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
