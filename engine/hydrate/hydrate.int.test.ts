import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GitConfigRepo } from '../../adapters/config-repo/git';
import { CheckoutCache } from '../../adapters/git/checkout-cache';
import { trailersOf } from '../../core/hydrate/render-commit-message';
import { createConfigRepo, type TestConfigRepo } from '../../test/support/config-repo';
import { corpusPath } from '../../test/support/corpus';
import { localEnv } from '../../test/support/local-env';
import { type HydrateDeps, hydrate, type TargetOutcome } from './hydrate';
import { loadRenderTargets } from './load-render-targets';

/** Folders of the shared corpus, each copied to a folder of the test's config repo. */
function corpusFiles(folders: Record<string, string[]>): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [to, from] of Object.entries(folders)) {
    const root = corpusPath(...from);
    for (const path of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      if (statSync(join(root, path)).isFile())
        files[`${to}/${relative(root, join(root, path))}`] = readFileSync(join(root, path), 'utf8');
    }
  }
  return files;
}

/** microservices-demo's kustomize base and components as `shop`, Flux's example app overlays as `apps`. */
const dryRepo = () => ({
  ...corpusFiles({ shop: ['microservices-demo', 'kustomize'], apps: ['flux2-kustomize-helm-example', 'apps'] }),
  '.tidemark/render.yaml': [
    'targets:',
    '  - name: shop-dev',
    '    source: { kustomize: shop }',
    '    destination: { branch: rendered/dev }',
    '  - name: podinfo-staging',
    '    source: { kustomize: apps/staging }',
    '    destination: { branch: rendered/staging }',
    '  - name: podinfo-production',
    '    source: { kustomize: apps/production }',
    '    destination: { branch: rendered/production }',
    '',
  ].join('\n'),
});

interface Setup {
  remote: TestConfigRepo;
  run(deps?: Partial<HydrateDeps>): Promise<TargetOutcome[]>;
}

async function setup(files: Record<string, string>): Promise<Setup> {
  const remote = await createConfigRepo('hydrate', files);
  const { username, password } = localEnv().git;
  const credentials = { username, password };
  const repo = await GitConfigRepo.open({
    url: remote.url,
    branch: 'main',
    credentials,
    cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-hydrate-repo-')),
  });
  const checkouts = new CheckoutCache(mkdtempSync(join(tmpdir(), 'tidemark-hydrate-checkouts-')), { keep: 1 });
  return {
    remote,
    async run(deps = {}) {
      const checkout = await checkouts.fetch(remote.url, 'main', credentials);
      const targets = await loadRenderTargets(checkout.dir);
      return hydrate({ dir: checkout.dir, dry: await checkout.describe() }, targets, {
        repo,
        repoUrl: remote.url,
        dryBranch: 'main',
        place: 'lambda',
        ...deps,
      });
    },
  };
}

describe('hydrate: dry commits rendered to branches', () => {
  let env: Setup;
  beforeAll(async () => {
    env = await setup(dryRepo());
  });

  it('renders the corpus overlays to one branch per environment, one commit each, linked to the dry commit', async () => {
    const outcomes = await env.run();
    expect(outcomes.map((o) => [o.target, o.kind])).toEqual([
      ['shop-dev', 'committed'],
      ['podinfo-staging', 'committed'],
      ['podinfo-production', 'committed'],
    ]);
    const dry = env.remote.head('main');
    for (const [target, branch] of [
      ['shop-dev', 'rendered/dev'],
      ['podinfo-staging', 'rendered/staging'],
      ['podinfo-production', 'rendered/production'],
    ] as const) {
      const history = env.remote.history(branch);
      expect(history).toHaveLength(1);
      const trailers = trailersOf(history[0]!.message);
      expect(trailers.get('Tidemark-Source-Commit')).toBe(dry);
      expect(trailers.get('Tidemark-Source-Subject')).toBe('initial commit');
      expect(trailers.get('Tidemark-Source-Author')).toBe('Test <test@localhost>');
      expect(trailers.get('Tidemark-Render-Target')).toBe(target);
      const metadata = JSON.parse(env.remote.file('hydrator.metadata', branch)!);
      expect(metadata).toMatchObject({ repoURL: env.remote.url, drySha: dry, subject: 'initial commit' });
      expect(metadata.tidemark.target).toBe(target);
    }
    expect(env.remote.history('rendered/dev')[0]!.files).toContain('Deployment-loadgenerator.yaml');
    const release = env.remote.file('podinfo/HelmRelease-podinfo.yaml', 'rendered/production')!;
    expect(release).toContain('- podinfo.production');
  });

  it('makes no commit for a dry commit that changes nothing the targets render', async () => {
    env.remote.commit({ 'README.md': 'docs only\n' }, 'Docs');
    const outcomes = await env.run();
    expect(outcomes.map((o) => [o.kind, 'reason' in o ? o.reason : ''])).toEqual([
      ['unchanged', 'inputs-unchanged'],
      ['unchanged', 'inputs-unchanged'],
      ['unchanged', 'inputs-unchanged'],
    ]);
    expect(env.remote.history('rendered/dev')).toHaveLength(1);
    // A change inside the inputs that renders the same bytes (a comment) renders again, and still commits nothing.
    const kustomization = env.remote.file('apps/staging/kustomization.yaml')!;
    env.remote.commit({ 'apps/staging/kustomization.yaml': `# staging\n${kustomization}` }, 'Comment');
    const again = await env.run();
    expect(again[1]).toMatchObject({ kind: 'unchanged', reason: 'same-bytes' });
    expect(env.remote.history('rendered/staging')).toHaveLength(1);
  });

  it('commits only the target whose render changed, and deletes the files the render no longer produces', async () => {
    const kustomization = env.remote.file('shop/kustomization.yaml')!;
    env.remote.commit(
      {
        'shop/kustomization.yaml': kustomization.replace(
          /^components:.*$/m,
          'components:\n- components/without-loadgenerator',
        ),
      },
      'Shop without the load generator',
    );
    const outcomes = await env.run();
    expect(outcomes.map((o) => o.kind)).toEqual(['committed', 'unchanged', 'unchanged']);
    const dev = outcomes[0] as Extract<TargetOutcome, { kind: 'committed' }>;
    expect(dev.changes).toEqual({ added: [], updated: [], deleted: ['Deployment-loadgenerator.yaml'] });
    expect(env.remote.file('Deployment-loadgenerator.yaml', 'rendered/dev')).toBeUndefined();
    expect(env.remote.file('Deployment-frontend.yaml', 'rendered/dev')).toBeDefined();
    expect(env.remote.history('rendered/dev')[0]!.subject).toMatch(
      /^Render shop-dev from [0-9a-f]{7}: Shop without the load generator$/,
    );
  });

  it('recomputes on the new head when another writer pushed to the rendered branch, and never forces over them', async () => {
    env.remote.commit({ 'notes.txt': 'a hand edit\n' }, 'Someone else', 'rendered/production');
    const values = env.remote.file('apps/production/podinfo-values.yaml')!;
    env.remote.commit(
      { 'apps/production/podinfo-values.yaml': values.replace('podinfo.production', 'podinfo.example.com') },
      'Production hostname',
    );
    // The other writer moves the branch once more between our read and our push: the first push is refused.
    let pushes = 0;
    const { username, password } = localEnv().git;
    const repo = await GitConfigRepo.open({
      url: env.remote.url,
      branch: 'main',
      credentials: { username, password },
      cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-hydrate-repo-')),
    });
    const racing: HydrateDeps['repo'] = {
      read: (paths, branch) => repo.read(paths, branch),
      commit: async (edits, onto, message, branch) => {
        if (branch === 'rendered/production' && pushes++ === 0) {
          env.remote.commit({ 'notes.txt': 'a second hand edit\n' }, 'Someone else again', 'rendered/production');
        }
        return repo.commit(edits, onto, message, branch);
      },
    };
    const outcomes = await env.run({ repo: racing, backoffMs: 1 });
    expect(outcomes[2]).toMatchObject({ kind: 'committed', attempts: 2 });
    const subjects = env.remote.history('rendered/production').map((c) => c.subject);
    expect(subjects.slice(0, 3)).toEqual([
      expect.stringMatching(/^Render podinfo-production from [0-9a-f]{7}: Production hostname$/),
      'Someone else again',
      'Someone else',
    ]);
    // Their commits stay in the history; the rendered folder is the render's, so the recomputed commit, made on their
    // head, deletes the file they added there.
    expect(outcomes[2]).toMatchObject({ changes: { deleted: ['notes.txt'] } });
    expect(env.remote.file('notes.txt', 'rendered/production')).toBeUndefined();
    expect(env.remote.file('podinfo/HelmRelease-podinfo.yaml', 'rendered/production')).toContain('podinfo.example.com');
  });

  it('commits nothing for a broken overlay, keeps the last good render, and names the file', async () => {
    const before = env.remote.head('rendered/staging');
    env.remote.commit({ 'apps/staging/kustomization.yaml': 'resources:\n  - ../base/nowhere\n' }, 'Break staging');
    const outcomes = await env.run();
    expect(outcomes.map((o) => o.kind)).toEqual(['unchanged', 'failed', 'unchanged']);
    const failure = (outcomes[1] as Extract<TargetOutcome, { kind: 'failed' }>).failure;
    expect(failure.file).toBe('apps/staging/kustomization.yaml');
    expect(failure.message).toMatch(/nowhere/);
    expect(env.remote.head('rendered/staging')).toBe(before);
  });
});

describe('hydrate: a removed target', () => {
  it("deletes a removed app's files from a shared rendered branch, and nothing else", async () => {
    const two =
      'targets:\n  - name: staging\n    source: { kustomize: apps/staging }\n    destination: { branch: rendered/all, path: staging }\n  - name: production\n    source: { kustomize: apps/production }\n    destination: { branch: rendered/all, path: production }\n';
    const env = await setup({
      ...corpusFiles({ apps: ['flux2-kustomize-helm-example', 'apps'] }),
      '.tidemark/render.yaml': two,
    });
    await env.run();
    expect(env.remote.file('production/podinfo/HelmRelease-podinfo.yaml', 'rendered/all')).toBeDefined();
    env.remote.commit(
      { '.tidemark/render.yaml': two.slice(0, two.indexOf('  - name: production')) },
      'Retire production',
    );
    const outcomes = await env.run();
    expect(outcomes.map((o) => [o.target, o.kind])).toEqual([
      ['staging', 'unchanged'],
      ['production', 'removed'],
    ]);
    expect(env.remote.file('production/podinfo/HelmRelease-podinfo.yaml', 'rendered/all')).toBeUndefined();
    expect(env.remote.file('production/hydrator.metadata', 'rendered/all')).toBeUndefined();
    expect(env.remote.file('staging/podinfo/HelmRelease-podinfo.yaml', 'rendered/all')).toBeDefined();
    expect(env.remote.history('rendered/all')[0]!.subject).toMatch(
      /^Remove the render of production: it left \.tidemark\/render\.yaml/,
    );
  });
});
