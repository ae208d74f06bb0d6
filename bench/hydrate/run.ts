/**
 * Push → rendered commit latency of the hydrator, and pull request preview latency, on the local environment
 * (`tidemark local up` first, or it is started here and stopped at the end), for a config repo of N kustomize apps
 * × 3 environments (dev, staging, prod) on the local git server: `.tidemark/render.yaml` has one target per app and
 * environment, each rendered to the folder of its app on `rendered/<env>`.
 *
 * - push → rendered commit: a commit moving one app's image tag (its three overlays render new bytes) is pushed with
 *   the git CLI, then the hydrator's push path (`hydratePush`, warm: one container, its checkouts, git mirror and
 *   unchanged-render memory reused, as in Lambda) renders every target whose inputs changed and commits; measured
 *   from the push until the three rendered commits are pushed.
 * - preview: a pull request branch changing one app; base and head rendered, the rendered diff and the live changes
 *   of the dev cluster (the drift scanner's dry-run path against the local kube-apiserver, which runs rendered/dev)
 *   computed, and the comment text built. GitHub's API is not called (it has no local emulator).
 *
 * Baseline, in the same run: what a CI job does without Tidemark on a push — `git clone --depth 1` of the dry repo and
 * `kubectl kustomize` of every overlay (3N), the render a workflow without input tracking repeats on every push.
 *
 *   npx tsx bench/hydrate/run.ts [--apps N] [--pushes N]
 *
 * Defaults are short (`--apps 10 --pushes 5`); the issue's size is `--apps 50 --pushes 20`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GitConfigRepo } from '../../adapters/config-repo/git';
import { CheckoutCache } from '../../adapters/git/checkout-cache';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { RenderAlertStore } from '../../adapters/state/render-alert-store';
import { previewComment } from '../../core/hydrate/preview-comment';
import { liveChangesIn } from '../../engine/hydrate/live-preview';
import { loadRenderTargets } from '../../engine/hydrate/load-render-targets';
import { previewChanges } from '../../engine/hydrate/preview';
import { syncFolder } from '../../engine/sync/sync-folder';
import { hydratePush } from '../../functions/hydrator/hydrate-push';
import { exportsFor } from '../../local/environment';
import { down, readEnvironment, up } from '../../local/local-environment';
import { localGit, localGitAuthHeader } from '../../local/local-git';
import { type Figure, reportFigures } from '../support/bench-report';

const { values: flags } = parseArgs({
  options: { apps: { type: 'string' }, pushes: { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (flags.help) {
  console.log('Usage: npx tsx bench/hydrate/run.ts [--apps N] [--pushes N]  (see the file header)');
  process.exit(0);
}
const whole = (name: string, raw: string | undefined, fallback: number) => {
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, but ${raw} was given`);
  return n;
};
const APPS = whole('apps', flags.apps, 10);
const PUSHES = whole('pushes', flags.pushes, 5);
const ENVS = ['dev', 'staging', 'prod'] as const;

const wasRunning = readEnvironment() !== undefined;
const env = await up((line) => console.error(`[local] ${line}`));
Object.assign(process.env, exportsFor(env), { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' });
const cleanup: (() => void)[] = [];
try {
  const suffix = randomBytes(3).toString('hex');
  const ns = (e: string) => `bench-hydrate-${suffix}-${e}`;
  const repoName = `bench-hydrate-${suffix}`;
  const created = await fetch(`${env.git.url}/_admin/repos/${repoName}`, {
    method: 'POST',
    headers: { authorization: localGitAuthHeader(env.git) },
  });
  if (!created.ok) throw new Error(`creating ${repoName} failed: ${created.status} ${await created.text()}`);
  const url = `${env.git.url}/${repoName}.git`;
  const work = mkdtempSync(join(tmpdir(), 'tidemark-bench-hydrate-'));
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  const git = localGit(env.git, work, { name: 'Bench', email: 'bench@localhost' });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  };
  const base = (app: string, tag: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${app} }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: ${app} } }\n  template:\n    metadata: { labels: { app: ${app} } }\n    spec: { containers: [{ name: ${app}, image: "registry.example.com/${app}:${tag}" }] }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: ${app} }\nspec: { selector: { app: ${app} }, ports: [{ port: 80 }] }\n`;
  const targets: string[] = ['targets:'];
  for (let i = 0; i < APPS; i++) {
    const app = `app${i}`;
    write(`apps/${app}/base/app.yaml`, base(app, '1.0.0'));
    write(`apps/${app}/base/kustomization.yaml`, 'resources: [app.yaml]\n');
    for (const [k, e] of ENVS.entries()) {
      write(
        `apps/${app}/overlays/${e}/kustomization.yaml`,
        `namespace: ${ns(e)}\nresources: [../../base]\nlabels:\n  - pairs: { env: ${e} }\npatches:\n  - target: { kind: Deployment }\n    patch: '[{"op": "replace", "path": "/spec/replicas", "value": ${k + 1}}]'\n`,
      );
      targets.push(
        `  - name: ${app}-${e}`,
        `    source: { kustomize: apps/${app}/overlays/${e} }`,
        `    destination: { branch: rendered/${e}, path: ${app} }`,
      );
    }
  }
  write('.tidemark/render.yaml', `${targets.join('\n')}\n`);
  git('init', '--quiet', '--initial-branch=main');
  git('remote', 'add', 'origin', url);
  git('add', '-A');
  git('commit', '--quiet', '-m', `${APPS} apps × ${ENVS.length} environments`);
  git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');

  const credentials = { username: env.git.username, password: env.git.password };
  const checkouts = new CheckoutCache(mkdtempSync(join(tmpdir(), 'tidemark-bench-hydrate-checkouts-')), { keep: 2 });
  const repo = await GitConfigRepo.open({
    url,
    branch: 'main',
    credentials,
    cacheDir: mkdtempSync(join(tmpdir(), 'tidemark-bench-hydrate-repo-')),
  });
  const deps = {
    repo,
    repoUrl: url,
    dryBranch: 'main',
    checkout: (branch: string) => checkouts.fetch(url, branch, credentials),
    alertState: new RenderAlertStore(env.resources.tableName, url, new DynamoDBClient({})),
    channels: [],
    unchangedRenders: new Map<string, string>(),
  };
  const push = () =>
    hydratePush(
      {
        kind: 'push',
        repo: url,
        branch: 'main',
        revision: git('rev-parse', 'HEAD').trim(),
        pushedAt: new Date().toISOString(),
        deliveryId: `bench:${randomBytes(4).toString('hex')}`,
      },
      deps,
    );

  const first = performance.now();
  const initial = await push();
  const initialSeconds = (performance.now() - first) / 1000;
  if (initial.kind !== 'hydrated' || initial.outcomes.some((o) => o.kind !== 'committed'))
    throw new Error(`the first render did not commit every target: ${JSON.stringify(initial).slice(0, 500)}`);
  console.error(`first render of ${APPS * ENVS.length} targets: ${initialSeconds.toFixed(1)} s`);

  const samples: number[] = [];
  for (let p = 0; p < PUSHES; p++) {
    const app = `app${p % APPS}`;
    write(`apps/${app}/base/app.yaml`, base(app, `1.0.${p + 1}`));
    git('commit', '--quiet', '-am', `Move ${app} to 1.0.${p + 1}`);
    git('push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    const start = performance.now();
    const result = await push();
    const ms = performance.now() - start;
    const committed = result.kind === 'hydrated' ? result.outcomes.filter((o) => o.kind === 'committed').length : 0;
    if (committed !== ENVS.length)
      throw new Error(`push ${p + 1} committed ${committed} targets instead of ${ENVS.length}`);
    samples.push(ms);
  }

  // Baseline: clone and render every overlay, as a CI job without input tracking does on each push.
  const baselineSamples: number[] = [];
  for (let r = 0; r < Math.min(3, PUSHES); r++) {
    const clone = mkdtempSync(join(tmpdir(), 'tidemark-bench-hydrate-ci-'));
    const start = performance.now();
    localGit(env.git, clone, { name: 'CI', email: 'ci@localhost' })('clone', '--quiet', '--depth', '1', url, 'repo');
    for (let i = 0; i < APPS; i++)
      for (const e of ENVS)
        execFileSync('kubectl', ['kustomize', join(clone, 'repo', `apps/app${i}/overlays/${e}`)], { stdio: 'pipe' });
    baselineSamples.push(performance.now() - start);
    rmSync(clone, { recursive: true, force: true });
  }

  // Preview: rendered/dev runs in the local cluster as Sync `dev`; a pull request moves one app.
  const cluster = ClusterClient.fromKubeconfig(env.kube.kubeconfigPath);
  execFileSync('kubectl', ['--kubeconfig', env.kube.kubeconfigPath, 'create', 'namespace', ns('dev')], {
    stdio: 'pipe',
  });
  cleanup.push(
    () =>
      void execFileSync(
        'kubectl',
        ['--kubeconfig', env.kube.kubeconfigPath, 'delete', 'namespace', '--wait=false', ns('dev')],
        { stdio: 'pipe' },
      ),
  );
  const sync = { namespace: ns('dev'), name: 'dev' };
  const renderedDev = await checkouts.fetch(url, 'rendered/dev', credentials);
  await syncFolder(cluster, {
    sync,
    dir: renderedDev.dir,
    revision: renderedDev.revision,
    prune: true,
    maxPruneShare: 1,
  });
  git('checkout', '--quiet', '-b', 'pr');
  write('apps/app0/base/app.yaml', base('app0', '2.0.0'));
  git('commit', '--quiet', '-am', 'Move app0 to 2.0.0');
  git('push', '--quiet', 'origin', 'HEAD:refs/heads/pr');
  const previewSamples: number[] = [];
  let comment = '';
  for (let r = 0; r < Math.min(3, PUSHES); r++) {
    const start = performance.now();
    const [b, h] = await Promise.all([
      checkouts.fetch(url, 'main', credentials),
      checkouts.fetch(url, 'pr', credentials),
    ]);
    const preview = await previewChanges(
      { dir: b.dir, sha: b.revision, targets: await loadRenderTargets(b.dir) },
      { dir: h.dir, sha: h.revision, targets: await loadRenderTargets(h.dir) },
      {
        place: 'lambda',
        dryBranch: 'main',
        readBranch: async (branch) => (await repo.read(['.'], branch))?.files ?? new Map(),
        clusters: [{ name: 'dev', path: '.', branch: 'rendered/dev' }],
        liveChanges: (c, dir, extraKinds) =>
          liveChangesIn(cluster, { dir, sync, cluster: c.name, maxPrunePercent: 20, extraKinds }),
      },
    );
    comment = previewComment(preview);
    previewSamples.push(performance.now() - start);
  }
  cluster.close();
  if (!comment.includes(`Deployment/${ns('dev')}/app0: containers[app0].image`.replace(/[[\]]/g, (c) => `\\${c}`))) {
    throw new Error(`the preview does not show the image change of app0:\n${comment.slice(0, 1500)}`);
  }

  const p = (xs: number[], q: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((q / 100) * xs.length) - 1)]!;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const figures: Figure[] = [
    {
      figure: `push → rendered commit p50 (${APPS} apps × 3 envs, ${PUSHES} pushes)`,
      value: s(p(samples, 50)),
      target: '≤ 2 s',
      met: p(samples, 50) <= 2000,
    },
    { figure: 'push → rendered commit p95', value: s(p(samples, 95)) },
    { figure: 'CI baseline: clone + kustomize every overlay, p50', value: s(p(baselineSamples, 50)) },
    { figure: 'hydrator ÷ CI baseline (p50)', value: `${(p(samples, 50) / p(baselineSamples, 50)).toFixed(2)}×` },
    {
      figure: 'pull request preview p50 (render base and head, rendered diff, live diff of dev)',
      value: s(p(previewSamples, 50)),
      target: '≤ 5 s',
      met: p(previewSamples, 50) <= 5000,
    },
    { figure: `first render of all ${APPS * 3} targets`, value: `${initialSeconds.toFixed(1)} s` },
  ];
  for (const f of figures)
    console.log(`${f.figure}: ${f.value}${f.target ? ` (target ${f.target}: ${f.met ? 'met' : 'NOT met'})` : ''}`);
  reportFigures('hydrate', figures);
} finally {
  for (const c of cleanup.reverse()) {
    try {
      c();
    } catch {
      // best effort
    }
  }
  if (!wasRunning) await down();
}
