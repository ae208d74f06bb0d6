import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { Credentials } from '../../adapters/kubernetes/kube-credentials';
import { type ChartFailure, chartFailureOf } from '../../core/helm/chart-failure';
import type { HelmSource, Release } from '../../core/helm/chart-source';
import { rotatingFields, usesRandomness } from '../../core/helm/generated-fields';
import { type Hook, hookOf, isHook, type ReleasePhase } from '../../core/helm/hooks';
import { templatesUsingLookup } from '../../core/helm/lookup-templates';
import { isFromCrdsFolder, splitChartOutput } from '../../core/helm/rendered-chart';
import { isPlainObject, type KubeObject } from '../../core/sync/kube-object';
import { parseManifests, RenderError } from '../../core/sync/render';
import { type LookupReads, LookupRecorder, readsUnchanged } from './lookup-recorder';

const run = promisify(execFile);

/** How long one helm command may run: a pull of a large chart takes seconds, a render less. */
export const helmDeadlineMs = 120_000;

/** What the cluster is, for `.Capabilities`: from its discovery, so `semverCompare`/`APIVersions.Has` act as on install. */
export interface ClusterCapabilities {
  /** `v1.34.4` */
  kubeVersion: string;
  /** Every served group/version, and group/version/Kind, as `helm install` would see them. */
  apiVersions: string[];
}

/**
 * How Helm's `lookup` reaches the cluster: with the agent's own identity, through a loopback proxy that forwards only
 * reads and records them (engine/render/lookup-recorder.ts), so a later reconcile can tell whether a render would come
 * out the same without running Helm.
 */
export interface LookupAccess {
  credentials: Credentials;
}

/** One layer of values, in merge order. `secret` layers are masked in every message. */
export interface ValuesLayer {
  /** For messages: `values-prod.yaml`, `Secret/web-values[values.yaml]`. */
  name: string;
  text: string;
  secret: boolean;
}

/** How to reach a registry or chart repository: basic auth (or an ECR token as user `AWS`), and/or a private CA. */
export interface ChartCredentials {
  username?: string;
  password?: string;
  /** PEM of the CA that signed the server's certificate (a chart repository or registry inside the company). */
  ca?: string;
}

export interface ChartRenderRequest {
  source: HelmSource;
  release: Release;
  /** The checkout of the config repo: a chart `path` is relative to it. */
  repoRoot: string;
  /** Values layers already read (files from Git, ConfigMaps and Secrets, inline last), in merge order. */
  values: readonly ValuesLayer[];
  /** `install` renders with `.Release.IsInstall`, `upgrade` with `.Release.IsUpgrade` (the inventory decides). */
  phase: ReleasePhase;
  capabilities?: ClusterCapabilities;
  /** Without it the render is dry: `lookup` returns nothing, and the templates that call it are reported. */
  lookup?: LookupAccess;
  /** For a registry or chart repository that needs them (basic auth, or an ECR token as user `AWS`). */
  credentials?: ChartCredentials;
  /** The helm binary. @default {@link helmBinary} */
  helm?: string;
  /** Where pulled charts and Helm's own state are kept. @default `$TIDEMARK_CHART_CACHE`, else under the temp dir */
  chartCache?: string;
  /** The reconcile's render deadline (spec.timeout) and stop: a helm command still running then is killed. */
  signal?: AbortSignal;
}

export interface RenderedChart {
  chart: { name: string; version: string };
  /** CRDs from the chart's `crds/` folders: applied first, never deleted by prune without the opt-in annotation. */
  crds: KubeObject[];
  /** The release's objects (templates that are not hooks). */
  objects: KubeObject[];
  /** Hooks of every kind except `test` (never rendered: `--skip-tests`). */
  hooks: Hook[];
  /** JSON Pointers of fields that differ between two renders, by object key (see core/helm/generated-fields). */
  generated: Map<string, string[]>;
  /** Templates that call `lookup`, when the render was dry: their objects cannot be judged. */
  unjudgeable: string[];
  /** The template each object came from, by object key: for messages that name a template. */
  templates: Map<string, string>;
  warnings: string[];
}

/** A chart that did not render or could not be fetched; its reason and message go on the Sync's Stalled condition. */
export class ChartRenderError extends RenderError {
  constructor(
    readonly chart: string,
    readonly failure: ChartFailure,
    options?: ErrorOptions,
  ) {
    super(chart, undefined, `${failure.reason}: ${failure.message}`, fixFor(failure), options);
    this.name = 'ChartRenderError';
  }
}

function fixFor(failure: ChartFailure): string {
  switch (failure.reason) {
    case 'ChartValuesRequired':
      return 'Set the value in spec.helm.values, a values file or valuesFrom; nothing was applied';
    case 'ChartValuesInvalid':
      return "Fix the values to match the chart's values.schema.json; nothing was applied";
    case 'ChartKubeVersionUnsupported':
      return 'Use a chart version that supports this cluster, or upgrade the cluster; nothing was applied';
    case 'ChartNotFound':
      return 'Check spec.helm.chart (reference, name and version); nothing was applied';
    case 'ChartAuthFailed':
      return "Check spec.helm.chart.secretRef, or the agent's ECR pull permission; nothing was applied";
    case 'ChartServerUntrusted':
      return "Put the PEM of the CA that signed the server's certificate under ca.crt in spec.helm.chart.secretRef; nothing was applied";
    case 'ChartDependenciesMissing':
      return "Run 'helm dependency build' and commit the chart's charts/ folder (Tidemark never fetches dependencies at render time); nothing was applied";
    case 'ChartRenderFailed':
      return 'Fix the chart or its values; nothing was applied';
  }
}

/**
 * The helm binary: the one named in the request, `TIDEMARK_HELM` (the drift scanner's layer sets `/opt/bin/helm`, the
 * agent image its own), the cached host build of `infra/layers/helm/build.sh` when this is a checkout, else `helm` on
 * the PATH.
 */
export function helmBinary(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.TIDEMARK_HELM) return env.TIDEMARK_HELM;
  const goMod = resolve(import.meta.dirname, '../../infra/layers/helm/go.mod');
  const version = existsSync(goMod)
    ? /^require helm\.sh\/helm\/v3 (v[\d.]+)$/m.exec(readFileSync(goMod, 'utf8'))?.[1]
    : undefined;
  if (version) {
    const platform = `${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`;
    const cached = join(
      env.TIDEMARK_CACHE || join(homedir(), '.cache/tidemark'),
      `helm-${version}`,
      platform,
      'bin/helm',
    );
    if (existsSync(cached)) return cached;
  }
  return 'helm';
}

/**
 * Renders a Sync's chart with the real Helm (`helm template`), the one renderer the agent, `tidemark apply` and the
 * drift scanner share, and sorts the output into CRDs, release objects and hooks.
 *
 * - The chart comes from an OCI registry or an HTTPS chart repository (`helm pull`, cached by reference and version,
 *   so an exact version is fetched once), or from a folder of the checkout with its vendored `charts/` (a folder that
 *   leaves the checkout, by `..` or a symlink, is refused). Dependencies are never fetched at render time.
 * - `--kube-version`/`--api-versions` come from the cluster's discovery, `--is-upgrade` from the inventory, so
 *   `.Capabilities` and `.Release.IsUpgrade` read as in a real install; `--skip-tests` keeps `test` hooks out.
 * - With `lookup` access the render is Helm's `--dry-run=server`: `lookup` reads the cluster with the agent's identity
 *   (Helm makes no writes in that mode). Without it, templates calling `lookup` are listed in `unjudgeable`.
 * - A chart that calls random functions is rendered twice and the fields that differ are returned in `generated`.
 *
 * @throws ChartRenderError with Helm's message (secret values masked) when the chart cannot be fetched or rendered;
 *   RenderError naming the template when its output is not valid Kubernetes YAML.
 */
export async function renderChart(request: ChartRenderRequest): Promise<RenderedChart> {
  const helm = helmBinary(request.helm);
  const cache = request.chartCache ?? process.env.TIDEMARK_CHART_CACHE ?? join(tmpdir(), 'tidemark-charts');
  const secrets = [
    ...request.values.filter((v) => v.secret).flatMap((v) => secretStrings(v.text)),
    ...(request.credentials?.password ? [request.credentials.password] : []),
  ];
  const home = join(cache, 'helm-home');
  const env = {
    ...process.env,
    // Helm's state (repository indexes, registry logins) in a folder we own: Lambda can only write under /tmp, and
    // nothing of one Sync's credentials should linger where another Sync's render reads.
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  const helmRun = async (args: string[], label: string): Promise<string> => {
    try {
      // A deadline, as for git and kustomize: a chart repository or registry that accepts the connection and never
      // answers would hold `helm pull` (and the reconcile) forever.
      const { stdout } = await run(helm, args, {
        env,
        maxBuffer: 256 * 1024 * 1024,
        timeout: helmDeadlineMs,
        killSignal: 'SIGKILL',
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return stdout;
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
      if (request.signal?.aborted) {
        throw new RenderError(
          label,
          undefined,
          `helm was stopped: ${(request.signal.reason as Error | undefined)?.message ?? 'aborted'}`,
          'It is retried at the next reconcile',
          { cause: error },
        );
      }
      if (failure.killed) {
        throw new RenderError(
          label,
          undefined,
          `helm did not finish within ${helmDeadlineMs / 1000} s and was killed`,
          'Check that the chart repository or registry answers',
          { cause: error },
        );
      }
      if (typeof failure.code === 'string') {
        throw new RenderError(
          label,
          undefined,
          `needs helm, but '${helm}' cannot be run (${failure.code})`,
          'Set TIDEMARK_HELM to a helm binary (infra/layers/helm/build.sh builds one)',
          { cause: error },
        );
      }
      // The command line can hold credentials: only Helm's stderr, masked, is kept; never error.message.
      throw new ChartRenderError(label, chartFailureOf(failure.stderr ?? '', secrets));
    }
  };

  const chartDir = await locateChart(request, cache, helmRun);
  const { files, digest } = await chartFiles(chartDir);
  const meta = parse(files.find((f) => f.path === 'Chart.yaml')?.text ?? '') as { name?: string; version?: string };
  const chart = { name: String(meta?.name ?? 'chart'), version: String(meta?.version ?? '0.0.0') };

  const scratch = await mkdtemp(join(tmpdir(), 'tidemark-values-'));
  try {
    await chmod(scratch, 0o700);
    const common = ['template', request.release.name, chartDir, '--namespace', request.release.namespace];
    common.push('--include-crds', '--skip-tests');
    if (request.capabilities) {
      common.push('--kube-version', request.capabilities.kubeVersion);
      if (request.capabilities.apiVersions.length > 0)
        common.push('--api-versions', request.capabilities.apiVersions.join(','));
    }
    for (const [index, layer] of request.values.entries()) {
      const path = join(scratch, `values-${index}.yaml`);
      await writeFile(path, layer.text, { mode: 0o600 });
      common.push('--values', path);
    }
    const args = request.phase === 'upgrade' ? [...common, '--is-upgrade'] : [...common];
    const label = `chart ${chart.name} ${chart.version}`;
    // A vendored .tgz subchart is not scanned: it may call anything, so it counts as doing so.
    const packed = files.some((f) => /^charts\/[^/]+\.tgz$/.test(f.path) || /\/charts\/[^/]+\.tgz$/.test(f.path));
    const random = usesRandomness(files) || packed;
    const lookupTemplates = templatesUsingLookup(files, chart.name);
    const live = request.lookup !== undefined && (lookupTemplates.size > 0 || packed);
    // Install and upgrade render the same bytes unless a template reads .Release.IsInstall/IsUpgrade (hooks are chosen
    // by phase after the render): then the first upgrade after the install needs no Helm process either.
    const phaseMatters = packed || files.some((f) => /\.Release\.Is(Install|Upgrade)\b/.test(f.text));
    // Renders are remembered by their inputs (chart files, values, capabilities, phase where it matters), so a
    // steady-state reconcile costs no Helm process:
    // - a chart calling lookup against the cluster is reused only while every object its lookups read answers with
    //   the same resourceVersion (one GET each, instead of a `helm template` of several hundred milliseconds);
    // - a chart calling random functions is reused too: the fields that differ between two renders are generated
    //   fields, which render-release.ts replaces with what the cluster holds, so a fresh render would apply the same.
    const key = renderKey(chartDir, digest, request, { phaseMatters, live });
    const known = renders.get(key);
    let output =
      known && (known.reads === undefined || (await readsUnchanged(request.lookup!.credentials, known.reads)))
        ? known.output
        : undefined;
    if (output === undefined && live) {
      const recorder = await LookupRecorder.start(request.lookup!.credentials);
      secrets.push(recorder.secret);
      try {
        const kubeconfig = join(scratch, 'kubeconfig');
        await writeFile(kubeconfig, recorder.kubeconfig(), { mode: 0o600 });
        output = await helmRun([...args, '--dry-run=server', '--kubeconfig', kubeconfig], label);
      } finally {
        await recorder.close();
      }
      const reads = recorder.reads();
      if (reads !== undefined) remember(key, { output, reads });
    } else if (output === undefined) {
      output = await helmRun(args, label);
      remember(key, { output });
    }
    const first = sortOutput(output);
    // Which fields are generated is asked of two dry install renders, whatever the cluster holds: with lookup, a
    // chart stops generating once its Secret exists (redis, the AWS Load Balancer Controller), and the annotation
    // telling the drift scanner must not come and go with that. The objects applied are still the real render's.
    let generated = new Map<string, string[]>();
    if (random) {
      // Which fields rotate depends only on the inputs (the renders are dry), so it is found once per input.
      // Keyed without phase or lookup: the two renders are dry installs either way.
      const inputs = renderKey(chartDir, digest, request, { phaseMatters: false, live: false });
      const known = generatedByInput.get(inputs);
      if (known) generated = known;
      else {
        const dry = [sortOutput(await helmRun(common, label)), sortOutput(await helmRun(common, label))];
        generated = rotatingFieldsOf(
          [...(dry[0]?.crds ?? []), ...(dry[0]?.objects ?? [])],
          dry[1] as ReturnType<typeof sortOutput>,
        );
        generatedByInput.set(inputs, generated);
        if (generatedByInput.size > 64) generatedByInput.delete(generatedByInput.keys().next().value as string);
      }
    }

    const warnings: string[] = [];
    let unjudgeable: string[] = [];
    if (!request.lookup) {
      const rendered = new Set(first.templates.values());
      unjudgeable = [...lookupTemplates].filter((t) => rendered.has(t)).sort();
      if (unjudgeable.length > 0) {
        warnings.push(
          `rendered without the cluster, so lookup returned nothing in ${unjudgeable.join(', ')}: their objects may differ from what the agent applies`,
        );
      }
    }
    return { chart, ...first, generated, unjudgeable, warnings };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A remembered render: Helm's output, and what its lookups read (to check before reuse) when it read the cluster. */
interface Remembered {
  output: string;
  reads?: LookupReads;
}

/** Remembered renders by input (at most 64 MB of output), and the generated fields found per input. */
const renders = new Map<string, Remembered>();
const generatedByInput = new Map<string, Map<string, string[]>>();
let remembered = 0;

function remember(key: string, entry: Remembered): void {
  const before = renders.get(key);
  if (before) remembered -= before.output.length;
  renders.delete(key);
  renders.set(key, entry);
  remembered += entry.output.length;
  for (const [oldest, old] of renders) {
    if (remembered <= 64 * 1024 * 1024) break;
    renders.delete(oldest);
    remembered -= old.output.length;
  }
}

/**
 * The inputs of a render: the chart's files (a folder given to `tidemark apply` can change under the same path),
 * release, phase, values and capabilities; not the temporary file names.
 */
function renderKey(
  chartDir: string,
  digest: string,
  request: ChartRenderRequest,
  how: { phaseMatters: boolean; live: boolean },
): string {
  const hash = createHash('sha256').update(digest);
  hash.update(
    JSON.stringify([chartDir, request.release, how.phaseMatters ? request.phase : '', request.capabilities, how.live]),
  );
  for (const layer of request.values) hash.update(`\0${layer.text}`);
  return hash.digest('hex');
}

function rotatingFieldsOf(first: KubeObject[], again: ReturnType<typeof sortOutput>): Map<string, string[]> {
  try {
    return rotatingFields(first, [...again.crds, ...again.objects]);
  } catch (error) {
    throw new RenderError('chart', undefined, (error as Error).message, 'Fix the chart or its values', {
      cause: error,
    });
  }
}

function sortOutput(output: string): Omit<RenderedChart, 'chart' | 'generated' | 'unjudgeable' | 'warnings'> {
  const crds: KubeObject[] = [];
  const objects: KubeObject[] = [];
  const hooks: Hook[] = [];
  const templates = new Map<string, string>();
  for (const document of splitChartOutput(output)) {
    // Helm's templates are written for Go's YAML 1.1 reader (`defaultMode: 0755` is octal there, 755 in YAML 1.2).
    for (const object of parseManifests([document])) {
      const key = `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      if (isFromCrdsFolder(document.path)) crds.push(object);
      else if (isHook(object)) {
        const hook = hookOf(object, document.path);
        if (!hook.events.includes('test')) hooks.push(hook);
        continue;
      } else objects.push(object);
      templates.set(key, document.path);
    }
  }
  return { crds, objects, hooks, templates };
}

/** Every string of a values document (a Secret's values may nest), for masking. */
function secretStrings(text: string): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') out.push(node);
    else if (typeof node === 'number') out.push(String(node));
    else if (Array.isArray(node)) node.forEach(walk);
    else if (isPlainObject(node)) Object.values(node).forEach(walk);
  };
  try {
    walk(parse(text));
  } catch {
    out.push(text);
  }
  return out;
}

const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/** The folder of the chart to render: the checkout's own, or a pulled chart in the cache. */
async function locateChart(
  request: ChartRenderRequest,
  cache: string,
  helmRun: (args: string[], label: string) => Promise<string>,
): Promise<string> {
  const { chart } = request.source;
  if (chart.path !== undefined) return chartInCheckout(request.repoRoot, chart.path);
  const ref = chart.oci ?? `${chart.repository}#${chart.name}`;
  const label = chart.oci ?? `${chart.name} from ${chart.repository}`;
  const folder = join(cache, 'pulled', createHash('sha256').update(ref).digest('hex').slice(0, 16));
  // An exact version is immutable once published (Helm and ECR treat it so): pulled once, then read from the cache.
  // A range is resolved by the registry on every render, so a newly pushed match is picked up.
  const exact = chart.version !== undefined && /^v?\d+\.\d+\.\d+([-+][\w.-]+)?$/.test(chart.version);
  if (exact && existsSync(join(folder, chart.version as string, 'Chart.yaml')))
    return join(folder, chart.version as string);
  await mkdir(folder, { recursive: true });
  const pulled = await mkdtemp(join(folder, '.pull-'));
  try {
    const args = ['pull', chart.oci ?? (chart.name as string), '--untar', '--untardir', pulled];
    if (chart.repository !== undefined) args.push('--repo', chart.repository);
    if (chart.version !== undefined) args.push('--version', chart.version);
    const { username, password, ca } = request.credentials ?? {};
    // Not --pass-credentials: Helm then sends them only to the repository's own host, never to another host an
    // index.yaml points a chart's URL at (whoever can edit the index could otherwise collect the password).
    if (username !== undefined && password !== undefined) args.push('--username', username, '--password', password);
    if (ca !== undefined) {
      const caFile = join(pulled, '.ca.crt');
      await writeFile(caFile, ca, { mode: 0o600 });
      args.push('--ca-file', caFile);
    }
    const host = chart.oci ? chart.oci.slice('oci://'.length).split('/')[0] : undefined;
    if (host !== undefined && loopback.test(host)) args.push('--plain-http');
    await helmRun(args, label);
    await rm(join(pulled, '.ca.crt'), { force: true });
    const [name] = await readdir(pulled);
    if (name === undefined) throw new RenderError(label, undefined, 'helm pull wrote no chart', 'Check the reference');
    const version = String(
      (parse(await readFile(join(pulled, name, 'Chart.yaml'), 'utf8')) as { version?: string }).version,
    );
    const target = join(folder, exact ? (chart.version as string) : version);
    if (!existsSync(join(target, 'Chart.yaml'))) {
      await rm(target, { recursive: true, force: true });
      await rename(join(pulled, name), target);
    }
    return target;
  } finally {
    await rm(pulled, { recursive: true, force: true });
  }
}

function chartInCheckout(repoRoot: string, path: string): string {
  const root = realpathSync(repoRoot);
  const wanted = resolve(root, path);
  const escapes = (p: string) => {
    const rel = relative(root, p);
    return rel.startsWith('..') || isAbsolute(rel);
  };
  if (escapes(wanted) || !existsSync(wanted) || escapes(realpathSync(wanted))) {
    throw new RenderError(
      path,
      undefined,
      existsSync(wanted) ? 'leaves the checkout of the config repo' : 'is not a folder of the config repo',
      'Set spec.helm.chart.path to a chart folder inside the repository, relative to its root',
    );
  }
  const real = realpathSync(wanted);
  if (!existsSync(join(real, 'Chart.yaml'))) {
    throw new RenderError(path, undefined, 'has no Chart.yaml', 'Point spec.helm.chart.path at a chart folder');
  }
  return real;
}

/**
 * The chart's text files, paths relative to its root, for the lookup and randomness scans (and Chart.yaml), and a
 * digest of every file (templates can read any of them with `.Files.Get`), which keys remembered renders.
 */
async function chartFiles(dir: string): Promise<{ files: { path: string; text: string }[]; digest: string }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: { path: string; text: string }[] = [];
  const hash = createHash('sha256');
  for (const entry of entries.sort((a, b) => join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)))) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const rel = relative(dir, path);
    const bytes = await readFile(path);
    hash.update(`${rel}\0${bytes.length}\0`).update(bytes);
    if (/\.(ya?ml|tpl|txt)$/.test(entry.name)) files.push({ path: rel, text: bytes.toString('utf8') });
    else if (/\.tgz$/.test(entry.name)) files.push({ path: rel, text: '' });
  }
  return { files, digest: hash.digest('hex') };
}
