import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseImagePolicies } from './image-policy';
import { type ImagePush, planImageUpdate, writeTargets } from './plan-image-update';

const REPO = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web';
const DIGEST = `sha256:${'1'.repeat(64)}`;
const example = (path: string) => readFileSync(new URL(`../../examples/config-repo/${path}`, import.meta.url), 'utf8');
const policies = parseImagePolicies(example('.tidemark/images.yaml'));
const files = new Map(
  ['clusters/dev/web/deployment.yaml', 'clusters/prod/kustomization.yaml', 'apps/web/base/deployment.yaml'].map((f) => [
    f,
    example(f),
  ]),
);
const push = (tag: string, extra: Partial<ImagePush> = {}): ImagePush => ({ repository: REPO, tag, ...extra });
const ON_MAIN = { defaultBranch: 'main' };
const changesOf = (plan: ReturnType<typeof planImageUpdate>) =>
  plan.groups.flatMap((g) => g.updates.flatMap((u) => u.changes));

describe('planImageUpdate on the example config repo', () => {
  it('moves dev by push and prod by pull request for a patch release', () => {
    const plan = planImageUpdate(push('1.0.1'), policies, files, ON_MAIN);
    expect(plan.groups.map((g) => g.writeBack)).toEqual([
      { kind: 'push', branch: 'main' },
      { kind: 'pull-request', base: 'main', branchPrefix: 'tidemark/' },
    ]);
    expect(changesOf(plan)).toEqual([
      { file: 'clusters/dev/web/deployment.yaml', line: 21, from: `${REPO}:1.0.0`, to: `${REPO}:1.0.1`, policy: 'web' },
      { file: 'clusters/prod/kustomization.yaml', line: 18, from: '1.0.0', to: '1.0.1', policy: 'web-prod' },
    ]);
    const dev = plan.groups[0]!.files.get('clusters/dev/web/deployment.yaml')!;
    expect(dev).toBe(example('clusters/dev/web/deployment.yaml').replace('web:1.0.0', 'web:1.0.1'));
    expect(plan.groups[1]!.files.get('clusters/prod/kustomization.yaml')).toBe(
      example('clusters/prod/kustomization.yaml').replace('newTag: 1.0.0', 'newTag: 1.0.1'),
    );
  });

  it('moves only dev for a minor release, and says why prod is skipped', () => {
    const plan = planImageUpdate(push('1.1.0'), policies, files, ON_MAIN);
    expect(changesOf(plan).map((c) => c.policy)).toEqual(['web']);
    expect(plan.skipped).toEqual([{ policy: 'web-prod', reason: "tag 1.1.0 is outside the range '~1.0.0'" }]);
  });

  it('makes no change for a duplicate or an older push (never a downgrade)', () => {
    for (const tag of ['1.0.0', '0.9.0']) {
      const plan = planImageUpdate(push(tag), policies, files, ON_MAIN);
      expect(plan.groups, tag).toEqual([]);
      expect(plan.skipped.map((s) => s.policy)).toEqual(['web', 'web-prod']);
    }
    const moved = new Map(files);
    moved.set(
      'clusters/dev/web/deployment.yaml',
      example('clusters/dev/web/deployment.yaml').replace(':1.0.0', ':1.3.0'),
    );
    const late = planImageUpdate(push('1.2.5'), policies.slice(0, 1), moved, ON_MAIN);
    expect(late.groups).toEqual([]);
    expect(late.skipped[0]!.reason).toBe(
      'clusters/dev/web/deployment.yaml:21 already holds 1.3.0, not older than 1.2.5',
    );
  });

  it('coalesces a burst into the highest eligible tag', () => {
    const plan = planImageUpdate(
      [push('1.0.3'), push('1.2.0'), push('1.0.7'), push('2.0.0')],
      policies,
      files,
      ON_MAIN,
    );
    expect(changesOf(plan).map((c) => `${c.policy} ${c.to}`)).toEqual([`web ${REPO}:1.2.0`, 'web-prod 1.0.7']);
  });

  it('ignores a repository no policy names', () => {
    const plan = planImageUpdate(push('1.0.1', { repository: `${REPO}-other` }), policies, files, ON_MAIN);
    expect(plan).toEqual({ groups: [], skipped: [], matchedPolicies: [] });
  });
});

describe('planImageUpdate', () => {
  const policy = (extra: string) =>
    parseImagePolicies(`policies:
  - name: web
    repository: acme.io/web
    strategy: {semver: "^1.0.0"}
    update: {paths: [apps]}
${extra}`);

  it('pins digests where asked, appending one to a reference that has none', () => {
    const text = `a:\n  image: acme.io/web:1.0.0 # tagged\nb:\n  image: "acme.io/web:1.0.0@sha256:${'0'.repeat(64)}"\n`;
    const plan = planImageUpdate(
      { repository: 'acme.io/web', tag: '1.1.0', digest: DIGEST },
      policy('    digest: pin\n'),
      new Map([['apps/x.yaml', text]]),
      ON_MAIN,
    );
    expect(plan.groups[0]!.files.get('apps/x.yaml')).toBe(
      `a:\n  image: acme.io/web:1.1.0@${DIGEST} # tagged\nb:\n  image: "acme.io/web:1.1.0@${DIGEST}"\n`,
    );
  });

  it('moves a digest that is already pinned even without digest: pin, and refuses when the push has none', () => {
    const text = `image: acme.io/web:1.0.0@sha256:${'0'.repeat(64)}\n`;
    const withDigest = planImageUpdate(
      { repository: 'acme.io/web', tag: '1.1.0', digest: DIGEST },
      policy(''),
      new Map([['apps/x.yaml', text]]),
      ON_MAIN,
    );
    expect(withDigest.groups[0]!.files.get('apps/x.yaml')).toBe(`image: acme.io/web:1.1.0@${DIGEST}\n`);
    const without = planImageUpdate(
      { repository: 'acme.io/web', tag: '1.1.0' },
      policy(''),
      new Map([['apps/x.yaml', text]]),
      ON_MAIN,
    );
    expect(without.groups).toEqual([]);
    expect(without.skipped[0]!.reason).toMatch(/pins a digest, but the push of 1.1.0 carries none/);
  });

  it("honours Flux setter markers (tag and digest) and leaves other policies' markers alone", () => {
    const text = `image:
  repository: acme.io/web # {"$imagepolicy": "flux-system:web:name"}
  tag: 1.0.0 # {"$imagepolicy": "flux-system:web:tag"}
  digest: sha256:${'0'.repeat(64)} # {"$imagepolicy": "flux-system:web:digest"}
other:
  image: acme.io/web:1.0.0 # {"tidemark": "someone-else"}
`;
    const plan = planImageUpdate(
      { repository: 'acme.io/web', tag: '1.2.0', digest: DIGEST },
      policy('    fluxImagePolicy: flux-system:web\n'),
      new Map([['apps/values.yaml', text]]),
      ON_MAIN,
    );
    expect(plan.groups[0]!.files.get('apps/values.yaml')).toBe(
      text.replace('tag: 1.0.0', 'tag: 1.2.0').replace(`sha256:${'0'.repeat(64)}`, DIGEST),
    );
  });

  it('updates Helm-style values and kustomize images in files under the policy path only', () => {
    const values = 'image:\n  repository: acme.io/web\n  tag: "1.0.0"\n';
    const kustomization = 'images:\n- name: web\n  newName: acme.io/web\n  newTag: 1.0.0\n';
    const plan = planImageUpdate(
      { repository: 'acme.io/web', tag: '1.0.5' },
      policy(''),
      new Map([
        ['apps/values.yaml', values],
        ['apps/kustomization.yaml', kustomization],
        ['other/values.yaml', values],
      ]),
      ON_MAIN,
    );
    expect([...plan.groups[0]!.files]).toEqual([
      ['apps/kustomization.yaml', kustomization.replace('1.0.0', '1.0.5')],
      ['apps/values.yaml', values.replace('1.0.0', '1.0.5')],
    ]);
  });

  it('latest-pushed: orders by push time from the context, so an older push is not applied late', () => {
    const latest = parseImagePolicies(
      'policies:\n  - name: web\n    repository: acme.io/web\n    strategy: {latestPushed: {}}\n    update: {paths: [apps]}\n',
    );
    const files = new Map([['apps/d.yaml', 'image: acme.io/web:main-b\n']]);
    const pushedAt = (_: string, tag: string) => (tag === 'main-b' ? new Date(2000) : undefined);
    const old = planImageUpdate({ repository: 'acme.io/web', tag: 'main-a', pushedAt: new Date(1000) }, latest, files, {
      ...ON_MAIN,
      pushedAt,
    });
    expect(old.groups).toEqual([]);
    const fresh = planImageUpdate(
      { repository: 'acme.io/web', tag: 'main-c', pushedAt: new Date(3000) },
      latest,
      files,
      {
        ...ON_MAIN,
        pushedAt,
      },
    );
    expect(fresh.groups[0]!.files.get('apps/d.yaml')).toBe('image: acme.io/web:main-c\n');
  });

  it('says when a policy finds nothing to move', () => {
    const plan = planImageUpdate(
      { repository: 'acme.io/web', tag: '1.0.5' },
      policy(''),
      new Map([['apps/a.yaml', 'a: 1\n']]),
      ON_MAIN,
    );
    expect(plan.skipped).toEqual([{ policy: 'web', reason: 'no reference to acme.io/web in apps' }]);
  });
});

describe('planImageUpdate write targets', () => {
  const two = parseImagePolicies(`policies:
  - name: web
    repository: acme.io/web
    strategy: {semver: "^1.0.0"}
    update: {paths: [apps/web]}
    writeBack: {push: {branch: main}}
  - name: api
    repository: acme.io/api
    strategy: {semver: "^1.0.0"}
    update: {paths: [apps/api]}
  - name: api-prod
    repository: acme.io/api
    strategy: {semver: "^1.0.0"}
    update: {paths: [prod/api]}
    writeBack: {pullRequest: {}}
`);
  const tree = new Map([
    ['apps/web/d.yaml', 'image: acme.io/web:1.0.0\n'],
    ['apps/api/d.yaml', 'image: acme.io/api:1.0.0\n'],
    ['prod/api/d.yaml', 'image: acme.io/api:1.0.0\n'],
  ]);
  const pushes = [
    { repository: 'acme.io/web', tag: '1.1.0' },
    { repository: 'acme.io/api', tag: '1.2.0' },
  ];

  it('puts a policy that names the default branch and one that names no branch into one commit', () => {
    const plan = planImageUpdate(pushes, two, tree, ON_MAIN);
    expect(plan.groups.map((g) => g.target)).toEqual([
      { kind: 'push', branch: 'main' },
      { kind: 'pull-request', branch: 'tidemark/api-prod', base: 'main' },
    ]);
    expect(plan.groups[0]!.updates.map((u) => u.policy.name)).toEqual(['web', 'api']);
    expect([...plan.groups[0]!.files.keys()]).toEqual(['apps/web/d.yaml', 'apps/api/d.yaml']);
  });

  it('groups policies by where they write, with the default branch filled in', () => {
    const targets = writeTargets(two, 'trunk').map((t) => [t.target, t.policies.map((p) => p.name)]);
    expect(targets).toEqual([
      [{ kind: 'push', branch: 'main' }, ['web']],
      [{ kind: 'push', branch: 'trunk' }, ['api']],
      [{ kind: 'pull-request', branch: 'tidemark/api-prod', base: 'trunk' }, ['api-prod']],
    ]);
  });
});

describe('planImageUpdate with Flux markers', () => {
  const D1 = `sha256:${'1'.repeat(64)}`;
  const D2 = `sha256:${'2'.repeat(64)}`;
  const flux = (extra = '', fluxName = 'team-a:web') =>
    parseImagePolicies(`policies:
  - name: web
    repository: acme.io/web
    fluxImagePolicy: ${fluxName}
    strategy: {semver: "^1.0.0"}
    update: {paths: [apps]}
${extra}`);
  const planOf = (text: string, push: ImagePush, policies = flux(), file = 'apps/d.yaml', context = {}) =>
    planImageUpdate(push, policies, new Map([[file, text]]), { ...ON_MAIN, ...context });
  const fileOf = (plan: ReturnType<typeof planImageUpdate>, file = 'apps/d.yaml') => plan.groups[0]?.files.get(file);

  it("leaves a value marked for another namespace's policy alone (one repository's tag never lands on another)", () => {
    const text = [
      'a: other.io/api:1.0.0 # {"$imagepolicy": "team-b:web"}',
      'b: acme.io/web:1.0.0 # {"$imagepolicy": "team-a:web"}',
      'c: acme.io/web:1.0.0 # {"$imagepolicy": "flux-system:web"}',
      '',
    ].join('\n');
    const plan = planOf(text, { repository: 'acme.io/web', tag: '1.0.1' });
    expect(fileOf(plan)).toBe(text.replace('b: acme.io/web:1.0.0', 'b: acme.io/web:1.0.1'));
  });

  it('moves no Flux-marked value for a policy that maps no Flux ImagePolicy, and no unmarked one for one that does', () => {
    const text = 'a: acme.io/web:1.0.0 # {"$imagepolicy": "flux-system:web"}\nb:\n  image: acme.io/web:1.0.0\n';
    const plain = parseImagePolicies(
      'policies:\n  - name: web\n    repository: acme.io/web\n    strategy: {semver: "^1.0.0"}\n    update: {paths: [apps]}\n',
    );
    expect(fileOf(planOf(text, { repository: 'acme.io/web', tag: '1.0.1' }, plain))).toBe(
      text.replace('image: acme.io/web:1.0.0', 'image: acme.io/web:1.0.1'),
    );
    expect(fileOf(planOf(text, { repository: 'acme.io/web', tag: '1.0.1' }, flux('', 'flux-system:web')))).toBe(
      text.replace('a: acme.io/web:1.0.0', 'a: acme.io/web:1.0.1'),
    );
  });

  it('reads a file named Kustomization, as kustomize and Flux do', () => {
    const text =
      'images:\n  - name: web\n    newName: acme.io/web # {"$imagepolicy": "team-a:web:name"}\n    newTag: 1.0.0 # {"$imagepolicy": "team-a:web:tag"}\n';
    const plan = planOf(text, { repository: 'acme.io/web', tag: '1.2.0' }, flux(), 'apps/Kustomization');
    expect(fileOf(plan, 'apps/Kustomization')).toBe(text.replace('newTag: 1.0.0', 'newTag: 1.2.0'));
  });

  it("writes the policy's repository into :name sites and full references, byte for byte around it", () => {
    const text = [
      'newName: \'old.io/web\' # {"$imagepolicy": "team-a:web:name"}',
      'newTag: "1.0.0" # {"$imagepolicy": "team-a:web:tag"}',
      'image: web:1.0.0   # {"$imagepolicy": "team-a:web"}',
      '',
    ].join('\n');
    const plan = planOf(text, { repository: 'acme.io/web', tag: '1.2.0' });
    expect(fileOf(plan)).toBe(
      text
        .replace("'old.io/web'", "'acme.io/web'")
        .replace('"1.0.0"', '"1.2.0"')
        .replace('web:1.0.0', 'acme.io/web:1.2.0'),
    );
    expect(changesOf(plan).map((c) => `${c.line} ${c.from} → ${c.to}`)).toEqual([
      '1 old.io/web → acme.io/web',
      '2 1.0.0 → 1.2.0',
      '3 web:1.0.0 → acme.io/web:1.2.0',
    ]);
  });

  it('keeps a name, and says what the site holds, when the push is older than a tag of the same policy', () => {
    const text = 'n: old.io/web # {"$imagepolicy": "team-a:web:name"}\nt: 1.3.0 # {"$imagepolicy": "team-a:web:tag"}\n';
    const plan = planOf(text, { repository: 'acme.io/web', tag: '1.2.0' });
    expect(plan.groups).toEqual([]);
    expect(plan.skipped[0]!.reason).toBe(
      'apps/d.yaml:1 names old.io/web; left as is because apps/d.yaml:2 holds 1.3.0, later than 1.2.0; apps/d.yaml:2 already holds 1.3.0, not older than 1.2.0',
    );
  });

  it('moves a :digest site on its own when the pushed digest is new, and a bare name becomes name:tag@digest', () => {
    const text = [
      `digest: ${D1} # {"$imagepolicy": "team-a:web:digest"}`,
      'image: web # {"$imagepolicy": "team-a:web"}',
      '',
    ].join('\n');
    const plan = planOf(text, { repository: 'acme.io/web', tag: '1.2.0', digest: D2 }, flux('    digest: pin\n'));
    expect(fileOf(plan)).toBe(text.replace(D1, D2).replace('image: web ', `image: acme.io/web:1.2.0@${D2} `));
    // Nothing in Git dates the push: the plan says so, for a caller that can ask the registry.
    expect(plan.unconfirmed).toEqual(['acme.io/web']);
  });

  it('keeps the tag when pinning a full reference (name:tag@digest, as Flux writes)', () => {
    const text = 'image: acme.io/web:1.0.0 # {"$imagepolicy": "team-a:web"}\n';
    const plan = planOf(text, { repository: 'acme.io/web', tag: '1.2.0', digest: D2 }, flux('    digest: pin\n'));
    expect(fileOf(plan)).toBe(`image: acme.io/web:1.2.0@${D2} # {"$imagepolicy": "team-a:web"}\n`);
  });

  it('never moves a digest back on a late event: not past a later tag in Git, nor past what the registry holds', () => {
    const text = `digest: ${D2} # {"$imagepolicy": "team-a:web:digest"}\ntag: 1.3.0 # {"$imagepolicy": "team-a:web:tag"}\n`;
    const late = planOf(text, { repository: 'acme.io/web', tag: '1.2.0', digest: D1 });
    expect(late.groups).toEqual([]);
    expect(late.skipped[0]!.reason).toContain(`apps/d.yaml:1 holds the digest ${D2}; left as is because apps/d.yaml:2`);

    const digestOnly = `digest: ${D2} # {"$imagepolicy": "team-a:web:digest"}\n`;
    const registry = [
      { repository: 'acme.io/web', tag: '1.2.0', digest: D1 },
      { repository: 'acme.io/web', tag: '1.3.0', digest: D2 },
    ];
    const asked = planOf(digestOnly, { repository: 'acme.io/web', tag: '1.2.0', digest: D1 }, flux(), 'apps/d.yaml', {
      imagesOf: () => registry,
    });
    expect(asked.groups).toEqual([]);
    expect(asked.skipped[0]!.reason).toBe(
      'apps/d.yaml:1 keeps its digest: acme.io/web holds 1.3.0, later than the pushed 1.2.0',
    );
    // A tag pushed again with a new digest: the older event of the same tag arrives last.
    const repushed = planOf(
      digestOnly,
      { repository: 'acme.io/web', tag: '1.3.0', digest: D1 },
      flux(),
      'apps/d.yaml',
      {
        imagesOf: () => registry,
      },
    );
    expect(repushed.skipped[0]!.reason).toBe(
      `apps/d.yaml:1 keeps its digest: acme.io/web:1.3.0 is now ${D2}, not the pushed ${D1}`,
    );
  });

  it('moves the same version spelled differently once, to the later spelling, and never back', () => {
    const text = 'image: acme.io/web:1.0.0 # {"$imagepolicy": "team-a:web"}\n';
    const forward = planOf(text, { repository: 'acme.io/web', tag: 'v1.0.0' });
    expect(fileOf(forward)).toBe(text.replace(':1.0.0', ':v1.0.0'));
    const back = planOf(fileOf(forward)!, { repository: 'acme.io/web', tag: '1.0.0' });
    expect(back.groups).toEqual([]);
    expect(back.skipped[0]!.reason).toBe('apps/d.yaml:1 already holds v1.0.0, not older than 1.0.0');
  });
});

describe('planImageUpdate: what proves a digest new', () => {
  const D1 = `sha256:${'1'.repeat(64)}`;
  const D2 = `sha256:${'2'.repeat(64)}`;
  const policies = parseImagePolicies(`policies:
  - name: web
    repository: acme.io/web
    fluxImagePolicy: team-a:web
    strategy: {semver: "^1.0.0"}
    update: {paths: [apps]}
`);
  const text = (tag: string) =>
    `digest: ${D1} # {"$imagepolicy": "team-a:web:digest"}\ntag: ${tag} # {"$imagepolicy": "team-a:web:tag"}\n`;
  const planFor = (tag: string) =>
    planImageUpdate(
      { repository: 'acme.io/web', tag: '1.2.0', digest: D2 },
      policies,
      new Map([['apps/d.yaml', text(tag)]]),
      ON_MAIN,
    );

  it('a tag of the same policy moving up from an older version: Git proves it, no need to ask the registry', () => {
    const plan = planFor('1.0.0');
    expect(plan.groups[0]!.files.get('apps/d.yaml')).toBe(text('1.2.0').replace(D1, D2));
    expect(plan.unconfirmed).toBeUndefined();
  });

  it('a tag the policy cannot order (latest) moving: no proof, so the registry is to be asked', () => {
    const plan = planFor('latest');
    expect(plan.groups[0]!.files.get('apps/d.yaml')).toBe(text('1.2.0').replace(D1, D2));
    expect(plan.unconfirmed).toEqual(['acme.io/web']);
  });
});
