import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GitConfigRepo } from '../../adapters/config-repo/git';
import { CheckoutCache } from '../../adapters/git/checkout-cache';
import {
  commentCreated,
  commentsListed,
  commentUpdated,
  previewStatus,
} from '../../adapters/github/fixtures/preview-recordings';
import { type Exchange, replayGitHub } from '../../adapters/github/fixtures/replay-github';
import { GitHubPreview } from '../../adapters/github/pull-request-preview';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { PREVIEW_MARKER } from '../../core/hydrate/preview-comment';
import { objectYaml } from '../../core/hydrate/rendered-files';
import { withOwnership } from '../../core/sync/ownership';
import { hydrate } from '../../engine/hydrate/hydrate';
import { liveChangesIn } from '../../engine/hydrate/live-preview';
import { loadRenderTargets } from '../../engine/hydrate/load-render-targets';
import { renderFolder } from '../../engine/render/render-folder';
import { syncFolder } from '../../engine/sync/sync-folder';
import { uniqueNamespace } from '../../test/support/cluster';
import { createConfigRepo, type TestConfigRepo } from '../../test/support/config-repo';
import { localEnv } from '../../test/support/local-env';
import { type PreviewPullRequestDeps, previewPullRequest } from './preview-pull-request';

// The pull request preview against the real local git server and kube-apiserver. GitHub's REST API (the comment and the
// commit status) is the one part replayed from recorded responses (adapters/github/fixtures/preview-recordings.ts),
// since it has no local emulator; the test fails on any GitHub request the recording does not expect.

describe('previewPullRequest', () => {
  let ns: string;
  let remote: TestConfigRepo;
  let checkout: PreviewPullRequestDeps['checkout'];
  let mainFiles: Record<string, string>;
  /** A pull request branch: main's files with `changes` (the test repo helper starts a new branch empty). */
  const pullRequestBranch = (branch: string, changes: Record<string, string>, message: string) =>
    remote.commit({ ...mainFiles, ...changes }, message, branch);
  const cluster = ClusterClient.fromKubeconfig(localEnv().kube.kubeconfigPath);
  const sync = () => ({ namespace: ns, name: 'prod' });

  const app = (replicas: number, image: string, extra = '') =>
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: web }',
      'spec:',
      `  replicas: ${replicas}`,
      '  selector: { matchLabels: { app: web } }',
      '  template:',
      '    metadata: { labels: { app: web } }',
      `    spec: { containers: [{ name: web, image: "${image}" }] }`,
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: web }',
      'spec: { selector: { app: web }, ports: [{ port: 80 }] }',
      extra,
    ].join('\n');

  beforeAll(async () => {
    ns = await uniqueNamespace('preview');
    mainFiles = {
      'apps/web/kustomization.yaml': `namespace: ${ns}\nresources: [app.yaml]\n`,
      'apps/web/app.yaml': app(2, 'registry.example.com/web:1.0.0'),
      '.tidemark/render.yaml':
        'targets:\n  - name: prod\n    source: { kustomize: apps/web }\n    destination: { branch: rendered/prod }\n',
    };
    remote = await createConfigRepo('preview', mainFiles);
    const { username, password } = localEnv().git;
    const credentials = { username, password };
    const checkouts = new CheckoutCache(mkdtempSync(join(tmpdir(), 'tidemark-preview-')), { keep: 2 });
    checkout = (branch) => checkouts.fetch(remote.url, branch, credentials);
    // What runs: main rendered to rendered/prod, and rendered/prod applied by the agent's engine as Sync `prod`.
    const main = await checkouts.fetch(remote.url, 'main', credentials);
    const repo = await GitConfigRepo.open({
      url: remote.url,
      branch: 'main',
      credentials,
      cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-preview-repo-')),
    });
    await hydrate({ dir: main.dir, dry: await main.describe() }, await loadRenderTargets(main.dir), {
      repo,
      repoUrl: remote.url,
      dryBranch: 'main',
      place: 'lambda',
    });
    const rendered = await checkout('rendered/prod');
    const applied = await syncFolder(cluster, {
      sync: sync(),
      dir: rendered.dir,
      revision: rendered.revision,
      prune: true,
      maxPruneShare: 1,
    });
    // Applied; the Deployment is still progressing (the local cluster may run no Pods), which changes nothing here.
    expect(['applied', 'progressing']).toContain(applied.outcome.kind);
    // The pull request: scale, a new image, a new ConfigMap, the Service removed.
    pullRequestBranch(
      'scale-web',
      {
        'apps/web/app.yaml': app(3, 'registry.example.com/web:1.1.0').replace(
          /---\napiVersion: v1\nkind: Service[\s\S]*$/,
          '---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata: { a: "1" }\n',
        ),
      },
      'Scale web, move to 1.1.0',
    );
  });

  const request = (number: number, head: string) => ({
    kind: 'preview' as const,
    repo: remote.url,
    number,
    base: { branch: 'main', sha: remote.head('main') },
    head: { branch: 'scale-web', sha: head, fork: false },
    deliveryId: `pr-${number}`,
  });

  function deps(exchanges: Exchange[]) {
    const replay = replayGitHub(exchanges);
    const github = new GitHubPreview({
      repoUrl: 'https://github.com/acme/config.git',
      credentials: { token: 'ghs_fixture' },
      octokitOptions: { request: { fetch: replay.fetch, retries: 0 }, throttle: { enabled: false } },
    });
    const all: PreviewPullRequestDeps = {
      checkout,
      github,
      dryBranch: 'main',
      clusters: [{ name: 'prod', path: '.', branch: 'rendered/prod' }],
      liveChanges: (c, dir, extraKinds) =>
        liveChangesIn(cluster, { dir, sync: sync(), cluster: c.name, maxPrunePercent: 50, extraKinds }),
    };
    return { all, replay };
  }

  it('comments once with the rendered diff and the live changes, then edits that comment on the next push', async () => {
    const head = remote.head('scale-web');
    const first = deps([
      previewStatus(head, 'pending'),
      commentsListed(7, [[1, 'LGTM']]),
      commentCreated(7, 99, `${PREVIEW_MARKER}\n## Tidemark preview`),
      previewStatus(head, 'success'),
    ]);
    const outcome = await previewPullRequest(request(7, head), first.all);
    expect(outcome).toMatchObject({ kind: 'previewed', state: 'success', comment: { kind: 'created', id: 99 } });
    expect(first.replay.pending).toEqual([]);
    const posted = first.replay.requests.find((r) => r.method === 'POST' && r.path.endsWith('/comments'))!.body as {
      body: string;
    };
    // As a reader sees it: Markdown's escapes of names and brackets undone.
    const body = { body: posted.body.replace(/\\([`*_[\]])/g, '$1') };
    expect(body.body).toContain(
      `Deployment/${ns}/web: spec.replicas 2 → 3, containers[web].image registry.example.com/web:1.0.0 → registry.example.com/web:1.1.0`,
    );
    expect(body.body).toContain(`ConfigMap/${ns}/x created`);
    expect(body.body).toContain(`Service/${ns}/web pruned`);
    expect(body.body).toContain(`+++ b/rendered/prod:${ns}/ConfigMap-x.yaml`);
    expect(body.body).toContain('-  replicas: 2\n+  replicas: 3');

    pullRequestBranch(
      'scale-web',
      { 'apps/web/app.yaml': app(4, 'registry.example.com/web:1.1.0') },
      'Four replicas, keep the Service',
    );
    const next = remote.head('scale-web');
    const second = deps([
      previewStatus(next, 'pending'),
      commentsListed(7, [
        [1, 'LGTM'],
        [99, `${PREVIEW_MARKER}\n## Tidemark preview\nold`],
      ]),
      commentUpdated(7, 99, `${PREVIEW_MARKER}\n## Tidemark preview`),
      previewStatus(next, 'success'),
    ]);
    expect(await previewPullRequest(request(7, next), second.all)).toMatchObject({
      comment: { kind: 'updated', id: 99 },
    });
    expect(second.replay.pending).toEqual([]);
    const edited = second.replay.requests.find((r) => r.method === 'PATCH')!.body as { body: string };
    expect(edited.body).toContain('spec.replicas 2 → 4');
    expect(edited.body).not.toContain('pruned');
  });

  it('lists, object by object, what kubectl diff --server-side shows for the same change', async () => {
    pullRequestBranch(
      'compare',
      {
        'apps/web/app.yaml': `${app(3, 'registry.example.com/web:1.2.0')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: y }\ndata: { b: "2" }\n`,
      },
      'Scale, new image, a ConfigMap',
    );
    const head = await checkout('compare');
    const targets = await loadRenderTargets(head.dir);
    const { renderTarget } = await import('../../engine/hydrate/render-target');
    const rendered = await renderTarget(head.dir, targets[0]!, 'lambda');
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-preview-kubectl-'));
    for (const [i, text] of [...rendered.files.values()].entries()) writeFileSync(join(dir, `${i}.yaml`), text);
    const changes = await liveChangesIn(cluster, { dir, sync: sync(), cluster: 'prod', maxPrunePercent: 100 });
    // kubectl gets the objects as the agent applies them: with the Sync's labels, as field manager tidemark.
    const labelled = join(dir, 'labelled');
    writeFileSync(labelled, (await renderFolder(dir)).map((o) => objectYaml(withOwnership(o, sync()))).join('---\n'));
    const diff = spawnSync(
      'kubectl',
      [
        '--kubeconfig',
        localEnv().kube.kubeconfigPath,
        'diff',
        '--server-side',
        '--field-manager=tidemark',
        '--force-conflicts',
        '-f',
        labelled,
      ],
      { encoding: 'utf8' },
    );
    expect(diff.stderr).toBe('');
    expect(diff.status).toBe(1); // kubectl diff: 1 when there are differences
    const kubectlObjects = [...diff.stdout.matchAll(/^diff -u -N \S+\/LIVE-\d+\/(\S+) /gm)].map((m) => m[1]).sort();
    const ours = changes.changes
      .filter((c) => c.kind === 'updated' || c.kind === 'created')
      // kubectl names each object's file <group>.<version>.<Kind>.<namespace>.<name> (`v1.ConfigMap…` for the core group).
      .map((c) => `${c.object.apiVersion.replace('/', '.')}.${c.object.kind}.${c.object.namespace}.${c.object.name}`)
      .sort();
    expect(ours).toHaveLength(2);
    expect(ours).toEqual(kubectlObjects);
    expect(
      execFileSync('kubectl', [
        '--kubeconfig',
        localEnv().kube.kubeconfigPath,
        '-n',
        ns,
        'get',
        'deploy',
        'web',
        '-o',
        'jsonpath={.spec.replicas}',
      ]).toString(),
    ).toBe('2');
  });

  it("fails the status, naming why, when a prune would exceed the cluster's maxPrunePercent", async () => {
    pullRequestBranch(
      'replace-all',
      { 'apps/web/app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: only }\ndata: {}\n' },
      'Replace everything',
    );
    const head = remote.head('replace-all');
    const { all, replay } = deps([
      previewStatus(head, 'pending'),
      commentsListed(8, []),
      commentCreated(8, 100, `${PREVIEW_MARKER}\n## Tidemark preview\n\n❌ prod: prune would delete 2 of 2 objects`),
      previewStatus(head, 'failure'),
    ]);
    const outcome = await previewPullRequest(
      { ...request(8, head), head: { branch: 'replace-all', sha: head, fork: false } },
      {
        ...all,
        liveChanges: (c, dir, extraKinds) =>
          liveChangesIn(cluster, { dir, sync: sync(), cluster: c.name, maxPrunePercent: 20, extraKinds }),
      },
    );
    expect(outcome).toMatchObject({
      state: 'failure',
      description: expect.stringMatching(
        /^prod: prune would delete 2 of 2 objects \(100%\), more than maxPrunePercent 20%/,
      ),
    });
    expect(replay.pending).toEqual([]);
  });

  it('says a failed render in the comment and fails the status with the file', async () => {
    pullRequestBranch('broken', { 'apps/web/kustomization.yaml': 'resources: [missing.yaml]\n' }, 'Break it');
    const head = remote.head('broken');
    const { all, replay } = deps([
      previewStatus(head, 'pending'),
      commentsListed(9, []),
      commentCreated(
        9,
        101,
        `${PREVIEW_MARKER}\n## Tidemark preview\n\n❌ prod does not render: apps/web/kustomization.yaml`,
      ),
      previewStatus(head, 'failure'),
    ]);
    expect(
      await previewPullRequest({ ...request(9, head), head: { branch: 'broken', sha: head, fork: false } }, all),
    ).toMatchObject({ state: 'failure' });
    expect(replay.pending).toEqual([]);
  });
});
