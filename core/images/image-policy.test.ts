import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImagePolicyError, parseImagePolicies, policyCovers } from './image-policy';

const example = readFileSync(new URL('../../examples/config-repo/.tidemark/images.yaml', import.meta.url), 'utf8');

function errorOf(text: string): string {
  try {
    parseImagePolicies(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ImagePolicyError);
    return (e as Error).message;
  }
  throw new Error('expected the policy file to be rejected');
}

describe('parseImagePolicies', () => {
  it("reads the example config repo's policies", () => {
    const [web, prod] = parseImagePolicies(example);
    expect(web).toMatchObject({
      name: 'web',
      repository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web',
      strategy: { kind: 'semver', range: '>=1.0.0 <2.0.0' },
      paths: ['clusters/dev'],
      writeBack: { kind: 'push', branch: 'main' },
      digest: 'none',
    });
    expect(prod).toMatchObject({
      name: 'web-prod',
      strategy: { kind: 'semver', range: '~1.0.0' },
      writeBack: { kind: 'pull-request', base: 'main', branchPrefix: 'tidemark/' },
    });
    expect(web!.line).toBe(4);
  });

  it('reads every strategy', () => {
    const text = `policies:
  - name: a
    repository: ghcr.io/acme/a
    strategy: { latestPushed: { tagPattern: "^main-" } }
    digest: pin
    update: { paths: [apps/a/] }
  - name: b
    repository: ghcr.io/acme/b
    strategy: { numeric: { tagPattern: "^build-(?<n>\\\\d+)$", extract: n } }
    update: { paths: [apps/b] }
  - name: c
    repository: ghcr.io/acme/c
    strategy: { alphabetical: { tagPattern: "^(?<ts>\\\\d+)$", extract: ts } }
    update: { paths: [apps/c/values.yaml] }
`;
    const [a, b, c] = parseImagePolicies(text);
    expect(a).toMatchObject({ strategy: { kind: 'latest-pushed' }, digest: 'pin', paths: ['apps/a'] });
    expect(a!.writeBack).toEqual({ kind: 'push' });
    expect(b!.strategy).toMatchObject({ kind: 'numeric', extract: 'n' });
    expect(c!.strategy).toMatchObject({ kind: 'alphabetical', extract: 'ts' });
  });

  it('names the file, line and key of a bad value, and the fix', () => {
    const text = example.replace('">=1.0.0 <2.0.0"', '"one point x"');
    expect(errorOf(text)).toBe(
      ".tidemark/images.yaml:7: policies[0].strategy.semver: is not a semver range. Use a range such as '>=1.0.0 <2.0.0' or '~1.0.0'",
    );
  });

  it('names a missing key at the policy that lacks it', () => {
    expect(errorOf('policies:\n  - name: web\n    repository: x.io/web\n    update: {paths: [a]}\n')).toBe(
      '.tidemark/images.yaml:2: policies[0].strategy: is required. Add it (see the example in examples/config-repo/.tidemark/images.yaml)',
    );
  });

  it('rejects two strategies, a tagged repository, a group the pattern lacks, and duplicate names', () => {
    const base = 'policies:\n  - name: web\n    repository: x.io/web\n    update: {paths: [a]}\n';
    expect(errorOf(`${base}    strategy: {semver: "1.x", latestPushed: {}}\n`)).toMatch(
      /:5: policies\[0\]\.strategy: must set exactly one of semver, latestPushed, numeric, alphabetical, not 2/,
    );
    expect(errorOf(`${base.replace('x.io/web', 'x.io/web:1')}    strategy: {semver: "1.x"}\n`)).toMatch(
      /:3: policies\[0\]\.repository: must be an image repository without tag/,
    );
    expect(errorOf(`${base}    strategy: {numeric: {tagPattern: "^(?<n>\\\\d+)$", extract: m}}\n`)).toMatch(
      /policies\[0\]\.strategy\.numeric\.extract: names a group 'm' that tagPattern does not have/,
    );
    const dup = `${base}    strategy: {semver: "1.x"}\n${base.replace('policies:\n', '')}    strategy: {semver: "1.x"}\n`;
    expect(errorOf(dup)).toMatch(/:6: policies\[1\]\.name: 'web' names two policies/);
  });

  it('reports broken YAML with its line', () => {
    expect(errorOf('policies:\n  - name: [web\n')).toMatch(
      /^\.tidemark\/images\.yaml:\d+: \(yaml\): is not valid YAML/,
    );
  });

  it('refuses a path outside the repo', () => {
    expect(
      errorOf(
        'policies:\n  - name: web\n    repository: x.io/web\n    strategy: {semver: "1.x"}\n    update: {paths: [../x]}\n',
      ),
    ).toMatch(/:5: policies\[0\]\.update\.paths\[0\]: must be a path inside the config repo/);
  });
});

describe('parseImagePolicies: fluxImagePolicy', () => {
  const base = (name: string, flux: string) =>
    `  - name: ${name}\n    repository: x.io/${name}\n    fluxImagePolicy: ${flux}\n    strategy: {semver: "1.x"}\n    update: {paths: [a]}\n`;

  it("maps a policy to a Flux ImagePolicy's namespace:name", () => {
    const [web] = parseImagePolicies(`policies:\n${base('web', 'team-a:web')}`);
    expect(web!.fluxImagePolicy).toBe('team-a:web');
  });

  it('refuses a value that is not namespace:name, and one Flux ImagePolicy mapped twice', () => {
    expect(errorOf(`policies:\n${base('web', 'web')}`)).toMatch(
      /:4: policies\[0\]\.fluxImagePolicy: must be the Flux ImagePolicy's namespace:name/,
    );
    expect(errorOf(`policies:\n${base('web', 'Team:web')}`)).toMatch(/fluxImagePolicy: must be/);
    expect(errorOf(`policies:\n${base('web', 'team-a:web')}${base('api', 'team-a:web')}`)).toMatch(
      /:9: policies\[1\]\.fluxImagePolicy: 'team-a:web' is already the Flux ImagePolicy of 'web'/,
    );
  });
});

describe('policyCovers', () => {
  it('covers a folder and everything under it, and nothing beside it', () => {
    const p = { paths: ['clusters/dev'] };
    expect(policyCovers(p, 'clusters/dev/web/deployment.yaml')).toBe(true);
    expect(policyCovers(p, 'clusters/dev')).toBe(true);
    expect(policyCovers(p, 'clusters/dev2/x.yaml')).toBe(false);
  });
});
