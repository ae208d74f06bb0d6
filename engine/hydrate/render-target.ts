import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { type DrySource, type RenderTarget, rendersInLambda } from '../../core/hydrate/render-targets';
import { renderedFiles } from '../../core/hydrate/rendered-files';
import type { KubeObject } from '../../core/sync/kube-object';
import { describeObject, objectIdOf } from '../../core/sync/object-id';
import { type ManifestFile, parseManifests, RenderError } from '../../core/sync/render';
import { helmBinary, renderChart } from '../render/helm-chart';
import { chooseKustomizer } from '../render/kustomize';
import { renderFolder } from '../render/render-folder';

const run = promisify(execFile);

/** Where a render runs: the hydrator Lambda renders kustomize, Helm and plain YAML; `local` (the CLI, CI) runs all. */
export type RenderPlace = 'lambda' | 'local';

export interface RenderedTarget {
  objects: KubeObject[];
  /** By path relative to the destination folder. */
  files: Map<string, string>;
  /** How to reproduce the render by hand (`hydrator.metadata`'s `commands`). */
  commands: string[];
  warnings: string[];
}

/** A render that produced different bytes on a second run: not committed, since a commit must be reproducible. */
export class NondeterministicRenderError extends RenderError {
  constructor(target: string, where: string, object: string) {
    super(
      where,
      undefined,
      `rendered ${object} differently on a second run of target ${target}, so its output cannot be committed`,
      'Make the render depend only on the dry commit: pin chart versions, and set values that templates generate (randAlphaNum, uuidv4, now, genCA) explicitly',
    );
    this.name = 'NondeterministicRenderError';
  }
}

/** A program generator (CDK8s, a command) asked of the Lambda, which renders only what needs no installed dependencies. */
export class RendersInCiError extends Error {
  constructor(target: string, kind: string) {
    super(
      `target ${target} is a ${kind} program, which the hydrator does not run (its dependencies are yours). Render it with 'tidemark render' in CI, and check it with 'tidemark render --check'`,
    );
    this.name = 'RendersInCiError';
  }
}

/**
 * Kinds that are never namespaced. Helm leaves `metadata.namespace` out of what it renders, and installs into the
 * release namespace; a rendered manifest must say the namespace itself, so it is added to every kind not listed here
 * (a chart's own cluster-scoped custom kind is then rendered with a namespace, which the API server ignores).
 */
const clusterScopedKinds = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterIssuer',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'IngressClass',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

/**
 * Renders one target from a checkout of its dry commit, twice, and refuses a render whose second run differs (naming
 * the template or file that produced the differing object): what is committed must be what the same dry commit
 * renders again tomorrow, in CI, or on a laptop.
 *
 * @throws RenderError (a broken overlay, a missing value: the file and the renderer's message),
 *   NondeterministicRenderError, or RendersInCiError for a program generator in the Lambda.
 */
export async function renderTarget(
  root: string,
  target: RenderTarget,
  place: RenderPlace,
  options: { chartCache?: string } = {},
): Promise<RenderedTarget> {
  if (place === 'lambda' && !rendersInLambda(target.source))
    throw new RendersInCiError(target.name, target.source.kind);
  const first = await renderOnce(root, target, options);
  const again = await renderOnce(root, target, options);
  const files = renderedFiles(first.objects, target.destination.layout);
  const second = renderedFiles(again.objects, target.destination.layout);
  for (const [path, text] of files) {
    if (second.get(path) === text) continue;
    const object =
      first.objects.find((o) => renderedFiles([o], target.destination.layout).has(path)) ?? first.objects[0];
    const name = object ? describeObject(objectIdOf(object)) : path;
    const where = (object && first.origins.get(object)) ?? sourceLabel(target.source);
    throw new NondeterministicRenderError(target.name, where, name);
  }
  if (second.size !== files.size) {
    throw new NondeterministicRenderError(
      target.name,
      sourceLabel(target.source),
      `${second.size} files instead of ${files.size}`,
    );
  }
  return { objects: first.objects, files, commands: first.commands, warnings: first.warnings };
}

interface OneRender {
  objects: KubeObject[];
  /** The template or file each object came from, for messages. */
  origins: Map<KubeObject, string>;
  commands: string[];
  warnings: string[];
}

async function renderOnce(root: string, target: RenderTarget, options: { chartCache?: string }): Promise<OneRender> {
  const { source } = target;
  switch (source.kind) {
    case 'kustomize': {
      const dir = inside(root, source.path, `targets.${target.name}.source.kustomize`);
      if (!['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((n) => existsSync(join(dir, n)))) {
        throw new RenderError(
          source.path,
          undefined,
          'has no kustomization.yaml',
          'Point source.kustomize at a kustomization folder, or use source.yaml for plain manifests',
        );
      }
      const objects = await renderFolder(dir).catch((e) => Promise.reject(inFolder(e, source.path)));
      const k = chooseKustomizer();
      const command = k.kind === 'kustomize' ? `kustomize build ${source.path}` : `kubectl kustomize ${source.path}`;
      return {
        objects,
        origins: originsOf(objects, `${source.path}/kustomization.yaml`),
        commands: [command],
        warnings: [],
      };
    }
    case 'yaml': {
      const objects = await renderFolder(inside(root, source.path, `targets.${target.name}.source.yaml`)).catch((e) =>
        Promise.reject(inFolder(e, source.path)),
      );
      return {
        objects,
        origins: originsOf(objects, source.path),
        commands: [`cat ${source.path}/*.yaml`],
        warnings: [],
      };
    }
    case 'helm':
      return renderHelm(root, target, source, options);
    case 'cdk8s':
      return renderCdk8s(root, source);
    case 'command':
      return renderCommand(root, source);
  }
}

async function renderHelm(
  root: string,
  target: RenderTarget,
  source: Extract<DrySource, { kind: 'helm' }>,
  options: { chartCache?: string },
): Promise<OneRender> {
  const values = [];
  for (const file of source.valuesFiles) {
    const path = inside(root, file, `targets.${target.name}.source.helm.valuesFiles`);
    if (!existsSync(path))
      throw new RenderError(
        file,
        undefined,
        'is not in the dry commit',
        'Fix source.helm.valuesFiles (paths are relative to the repository root)',
      );
    values.push({ name: file, text: await readFile(path, 'utf8'), secret: false });
  }
  if (Object.keys(source.source.values).length > 0) {
    const { stringify } = await import('yaml');
    values.push({ name: 'source.helm.values', text: stringify(source.source.values), secret: false });
  }
  const rendered = await renderChart({
    source: source.source,
    release: { name: source.releaseName, namespace: source.namespace },
    repoRoot: root,
    values,
    phase: 'install',
    capabilities: source.kubeVersion ? { kubeVersion: source.kubeVersion, apiVersions: source.apiVersions } : undefined,
    chartCache: options.chartCache,
  });
  const objects = [...rendered.crds, ...rendered.objects].map((o) =>
    o.metadata.namespace === undefined && !clusterScopedKinds.has(o.kind)
      ? { ...o, metadata: { ...o.metadata, namespace: source.namespace } }
      : o,
  );
  // renderChart renders a chart that calls random functions twice and returns the fields that differ (and serves a
  // deterministic chart's second render from its cache, so rendering it again here would prove nothing).
  const [generatedKey, pointers] = [...rendered.generated].find(([, fields]) => fields.length > 0) ?? [];
  if (generatedKey !== undefined) {
    const [namespace, name, , kind] = generatedKey.split('_');
    const template =
      rendered.templates.get(`${kind}/${namespace}/${name}`) ??
      rendered.templates.get(`${kind}//${name}`) ??
      sourceLabel(source);
    throw new NondeterministicRenderError(
      target.name,
      template,
      `${kind}/${namespace ? `${namespace}/` : ''}${name} (${(pointers ?? []).join(', ')})`,
    );
  }
  const origins = new Map<KubeObject, string>();
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const template = rendered.templates.get(key) ?? rendered.templates.get(`${o.kind}//${o.metadata.name}`);
    if (template) origins.set(o, template);
  }
  const warnings = [...rendered.warnings];
  if (rendered.hooks.length > 0) {
    warnings.push(
      `left out ${rendered.hooks.length} Helm hook(s) (${rendered.hooks.map((h) => describeObject(objectIdOf(h.object))).join(', ')}): rendered manifests are applied as plain objects, and a hook applied so would run once and stay`,
    );
  }
  const chart = source.source.chart;
  const ref = chart.oci ?? (chart.repository ? `${chart.name} --repo ${chart.repository}` : chart.path);
  const command = [
    `helm template ${source.releaseName} ${ref}`,
    chart.version ? `--version ${chart.version}` : '',
    `--namespace ${source.namespace} --include-crds --skip-tests`,
    ...source.valuesFiles.map((f) => `-f ${f}`),
  ]
    .filter(Boolean)
    .join(' ');
  return { objects, origins, commands: [command], warnings };
}

async function renderCdk8s(root: string, source: Extract<DrySource, { kind: 'cdk8s' }>): Promise<OneRender> {
  const dir = inside(root, source.path, 'source.cdk8s.path');
  let app = source.app;
  if (!app) {
    const config = join(dir, 'cdk8s.yaml');
    if (!existsSync(config))
      throw new RenderError(
        `${source.path}/cdk8s.yaml`,
        undefined,
        'does not exist',
        "Add cdk8s.yaml with 'app: npx tsx main.ts', or set source.cdk8s.app",
      );
    const parsed = parse(await readFile(config, 'utf8')) as { app?: unknown } | null;
    if (typeof parsed?.app !== 'string')
      throw new RenderError(
        `${source.path}/cdk8s.yaml`,
        undefined,
        'has no app command',
        "Set 'app: npx tsx main.ts' (the command that synthesizes)",
      );
    app = parsed.app;
  }
  // What `cdk8s synth` does: run the app with CDK8S_OUTDIR pointing at an empty folder, then read what it wrote.
  const out = await mkdtemp(join(tmpdir(), 'tidemark-cdk8s-'));
  try {
    await runProgram('/bin/sh', ['-c', app], dir, { CDK8S_OUTDIR: out }, `${source.path}: ${app}`);
    const files = await manifestFilesIn(out, source.path);
    return {
      objects: parseManifests(files),
      origins: originsFrom(files),
      commands: [`cd ${source.path} && cdk8s synth`],
      warnings: [],
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function renderCommand(root: string, source: Extract<DrySource, { kind: 'command' }>): Promise<OneRender> {
  const dir = inside(root, source.path, 'source.command.path');
  const [program, ...args] = source.run as [string, ...string[]];
  const label = `${source.path}: ${source.run.join(' ')}`;
  const stdout = await runProgram(program.startsWith('./') ? resolve(dir, program) : program, args, dir, {}, label);
  const command = `cd ${source.path} && ${source.run.join(' ')}`;
  if (source.output === undefined) {
    const files = [{ path: label, text: stdout }];
    return { objects: parseManifests(files), origins: new Map(), commands: [command], warnings: [] };
  }
  const files = await manifestFilesIn(
    inside(dir, source.output, 'source.command.output'),
    `${source.path}/${source.output}`,
  );
  return { objects: parseManifests(files), origins: originsFrom(files), commands: [command], warnings: [] };
}

async function runProgram(
  program: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  label: string,
): Promise<string> {
  try {
    const { stdout } = await run(program, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    const detail =
      typeof failure.code === 'string'
        ? `cannot be run (${failure.code})`
        : `failed: ${(failure.stderr || failure.message).trim().split('\n').slice(-20).join('\n')}`;
    throw new RenderError(
      label,
      undefined,
      detail,
      'Fix the program, or install its dependencies where tidemark render runs',
      { cause: error },
    );
  }
}

/** The YAML files a program wrote into `dir`, in path order, named for messages as `prefix/<file>`. */
async function manifestFilesIn(dir: string, prefix: string): Promise<ManifestFile[]> {
  const names = (await readdir(dir, { recursive: true }))
    .filter((n) => /\.(ya?ml|json)$/.test(n) && !n.endsWith('construct-metadata.json'))
    .sort();
  return Promise.all(names.map(async (n) => ({ path: `${prefix}/${n}`, text: await readFile(join(dir, n), 'utf8') })));
}

function originsFrom(files: readonly ManifestFile[]): Map<KubeObject, string> {
  const origins = new Map<KubeObject, string>();
  for (const f of files) for (const o of parseManifests([f])) origins.set(o, f.path);
  return origins;
}

function originsOf(objects: readonly KubeObject[], where: string): Map<KubeObject, string> {
  return new Map(objects.map((o) => [o, where]));
}

function sourceLabel(source: DrySource): string {
  return source.kind === 'helm'
    ? (source.source.chart.path ?? source.source.chart.oci ?? source.source.chart.name ?? 'chart')
    : source.path;
}

/** A renderer's error about a file of `folder`, naming the file from the repository root, as the user finds it. */
function inFolder(error: unknown, folder: string): unknown {
  if (!(error instanceof RenderError) || folder === '.') return error;
  const moved = new RenderError(`${folder}/${error.file}`, error.documentIndex, '', '', {
    cause: error.cause ?? error,
  });
  moved.message = `${folder}/${error.message}`;
  return moved;
}

/** A path of the checkout; one that leaves it (`..`, a symlink out) is refused. */
function inside(root: string, path: string, key: string): string {
  const full = resolve(root, path);
  const rel = relative(resolve(root), full);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new RenderError(path, undefined, `leaves the checkout (${key})`, 'Name a path inside the repository');
  }
  return full;
}

/** The versions of the programs that render (part of the input digest, and of `hydrator.metadata`). */
export async function rendererVersions(target: RenderTarget): Promise<string[]> {
  switch (target.source.kind) {
    case 'kustomize':
      return [await kustomizeVersion()];
    case 'helm':
      return [await helmVersion()];
    default:
      return [];
  }
}

const versions = new Map<string, Promise<string>>();

function versionOf(key: string, program: string, args: string[], pick: (out: string) => string): Promise<string> {
  let v = versions.get(key);
  if (!v) {
    v = run(program, args, { maxBuffer: 1024 * 1024 }).then(
      ({ stdout }) => `${key} ${pick(stdout)}`,
      () => `${key} unknown`,
    );
    versions.set(key, v);
  }
  return v;
}

function kustomizeVersion(): Promise<string> {
  const k = chooseKustomizer();
  return k.kind === 'kustomize'
    ? versionOf('kustomize', k.binary, ['version'], (out) => /v\d+\.\d+\.\d+/.exec(out)?.[0] ?? out.trim())
    : versionOf('kubectl', k.binary, ['version', '--client', '-o', 'json'], (out) => {
        const parsed = JSON.parse(out) as { kustomizeVersion?: string; clientVersion?: { gitVersion?: string } };
        return `${parsed.clientVersion?.gitVersion ?? '?'} (kustomize ${parsed.kustomizeVersion ?? '?'})`;
      });
}

function helmVersion(): Promise<string> {
  return versionOf('helm', helmBinary(), ['version', '--short'], (out) => out.trim().split('+')[0] ?? out.trim());
}
