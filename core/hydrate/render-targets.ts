import { isNode, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { locateIssue } from '../config/yaml-issue';
import { ChartRef, HelmSource } from '../helm/chart-source';

/** Where render targets live in the config repo. */
export const RENDER_FILE = '.tidemark/render.yaml';

/**
 * What a target renders from. The hydrator Lambda renders `kustomize`, `helm` and `yaml` itself; `cdk8s` and
 * `command` need the program's own dependencies (node_modules, a Python venv), so they render where those are
 * installed: `tidemark render` in CI or on a laptop (`tidemark render --check` proves the committed output current).
 */
export type DrySource =
  | { kind: 'kustomize'; path: string }
  | { kind: 'yaml'; path: string }
  | {
      kind: 'helm';
      source: HelmSource;
      /** Values files, relative to the repository root. */
      valuesFiles: string[];
      releaseName: string;
      namespace: string;
      /** `.Capabilities.KubeVersion` and `.Capabilities.APIVersions`, pinned so the render does not follow a cluster. */
      kubeVersion?: string;
      apiVersions: string[];
    }
  | { kind: 'cdk8s'; path: string; app?: string }
  | { kind: 'command'; path: string; run: string[]; output?: string };

/** Where a target's output is committed: a folder of a rendered branch, or a folder of the dry branch itself. */
export interface Destination {
  /** `rendered/dev`; `undefined` is the dry branch (the branch `.tidemark/render.yaml` was read from). */
  branch?: string;
  /** Folder in the destination branch, `.` for its root. */
  path: string;
  /** `files`: one file per object; `manifest`: one `manifest.yaml`, as Argo CD's Source Hydrator writes. */
  layout: 'files' | 'manifest';
}

/** One entry of `.tidemark/render.yaml`. */
export interface RenderTarget {
  name: string;
  source: DrySource;
  destination: Destination;
  /**
   * Paths (repo-relative) whose change re-renders the target, besides what Tidemark reads from the source itself
   * (a kustomization's resources, bases, patches and generator files; a chart folder and its values files).
   */
  inputs: string[];
  /** 1-based line of the target in the file, for messages. */
  line: number;
}

/** A render file that cannot be used. The message names the file, line and key, the problem and the fix. */
export class RenderConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly key: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${key}: ${problem}`, options);
    this.name = 'RenderConfigError';
  }
}

const repoPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !/[\0\\]/.test(p), {
    message:
      "must be a path inside the config repo, without a leading '/' or '..'. Write it as 'apps/web/overlays/dev'",
  })
  .transform((p) => p.replace(/\/+$/, '').replace(/^\.\//, '') || '.');

/** A branch name git accepts (git check-ref-format), and not a hidden ref. */
const branchName = z
  .string()
  .min(1)
  .refine(
    (b) =>
      // biome-ignore lint/suspicious/noControlCharactersInRegex: git refuses control characters in ref names
      !/(^[/.]|\/\.|\.\.|[\s~^:?*[\\\x00-\x1f\x7f]|@\{|\.lock$|\/$|\.$|^refs\/)/.test(b) && b !== '@' && b !== 'HEAD',
    { message: "is not a branch name git accepts. Use a name such as 'rendered/dev'" },
  );

/** Exact chart versions only: a range could resolve to a newer chart tomorrow, and the same dry commit must render the same bytes. */
const pinnedVersion = z
  .string()
  .regex(
    /^v?\d+\.\d+\.\d+([-+][\w.-]+)?$/,
    'is not an exact chart version. Pin one, such as 1.4.2: the same dry commit must always render the same bytes',
  );

const HelmTarget = HelmSource.omit({ valuesFrom: true, targetNamespace: true })
  .extend({
    chart: ChartRef.and(z.object({ version: pinnedVersion.optional() })),
    /** The release's namespace (`.Release.Namespace`), put on every namespaced object that names none. */
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'is not a namespace name such as shop'),
    kubeVersion: z
      .string()
      .regex(/^v?\d+\.\d+(\.\d+)?$/, 'is not a Kubernetes version such as v1.34.0')
      .optional(),
    apiVersions: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((helm, ctx) => {
    if (helm.chart.path === undefined && helm.chart.version === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['chart', 'version'],
        message:
          'is required for a chart from a registry or repository. Pin an exact version: the same dry commit must always render the same bytes',
      });
    }
  });

const SourceSchema = z
  .object({
    kustomize: repoPath.optional(),
    yaml: repoPath.optional(),
    helm: HelmTarget.optional(),
    cdk8s: z
      .object({
        path: repoPath,
        /** The command that synthesizes, run in `path` with CDK8S_OUTDIR set. Default: the `app` of cdk8s.yaml. */
        app: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    command: z
      .object({
        path: repoPath,
        /** The program and its arguments (no shell): `[./render.sh, dev]`. */
        run: z.array(z.string().min(1)).min(1, 'must name the program to run, such as [./render.sh, dev]'),
        /** A folder (relative to `path`) the program writes manifests into; default: manifests on its stdout. */
        output: repoPath.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    const kinds = Object.keys(source).filter((k) => source[k as keyof typeof source] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `names ${kinds.length === 0 ? 'no source' : `${kinds.join(' and ')}`}. Give exactly one of kustomize, helm, yaml, cdk8s or command`,
      });
    }
  });

const TargetSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/,
        "is not a target name. Use lower case, digits and '-', such as web-dev",
      ),
    source: SourceSchema,
    destination: z
      .object({
        branch: branchName.optional(),
        path: repoPath.default('.'),
        layout: z.enum(['files', 'manifest'], "is not a layout. Use 'files' or 'manifest'").default('files'),
      })
      .strict(),
    inputs: z.array(repoPath).default([]),
  })
  .strict();

const RenderFileSchema = z
  .object({
    targets: z.array(TargetSchema).min(1, 'lists no target. Add one (see examples/config-repo/.tidemark/render.yaml)'),
  })
  .strict();

/**
 * Parses and validates `.tidemark/render.yaml`. An error names the file, the line and the key:
 * `.tidemark/render.yaml:9: targets[1].source.helm.chart.version: is not an exact chart version. Pin one, …`.
 *
 * @example
 * parseRenderTargets('targets:\n- name: web-dev\n  source: { kustomize: apps/web/dev }\n  destination: { branch: rendered/dev }\n');
 */
export function parseRenderTargets(text: string, file = RENDER_FILE): RenderTarget[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  const lineOf = (path: readonly PropertyKey[]) => {
    // The deepest node of the path that exists: a missing key is reported at the map that should hold it.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as (string | number)[], true);
      if (isNode(node) && node.range) return lineAt(node.range[0]);
    }
    return 1;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new RenderConfigError(
      file,
      lineAt(e.pos[0]),
      '(yaml)',
      `is not valid YAML (${e.message.split('\n')[0]}). Fix the syntax`,
      {
        cause: e,
      },
    );
  }
  const result = RenderFileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const { line, key, missing } = locateIssue(doc, lines, issue);
    const message = missing ? 'is required. Add it (see examples/config-repo/.tidemark/render.yaml)' : issue.message;
    throw new RenderConfigError(file, line, key, message, {
      cause: result.error,
    });
  }
  const targets = result.data.targets.map((t, i): RenderTarget => {
    return {
      name: t.name,
      source: sourceOf(t.name, t.source),
      destination: {
        ...(t.destination.branch ? { branch: t.destination.branch } : {}),
        path: t.destination.path,
        layout: t.destination.layout,
      },
      inputs: t.inputs,
      line: lineOf(['targets', i]),
    };
  });
  checkTogether(targets, (i, key) => lineOf(['targets', i, ...key]), file);
  return targets;
}

function sourceOf(name: string, source: z.infer<typeof SourceSchema>): DrySource {
  if (source.kustomize !== undefined) return { kind: 'kustomize', path: source.kustomize };
  if (source.yaml !== undefined) return { kind: 'yaml', path: source.yaml };
  if (source.cdk8s !== undefined) return { kind: 'cdk8s', ...source.cdk8s };
  if (source.command !== undefined) return { kind: 'command', ...source.command };
  const helm = source.helm!;
  return {
    kind: 'helm',
    source: { ...helm, valuesFrom: [], valuesFiles: helm.valuesFiles },
    valuesFiles: helm.valuesFiles,
    releaseName: helm.releaseName ?? name,
    namespace: helm.namespace,
    ...(helm.kubeVersion ? { kubeVersion: helm.kubeVersion } : {}),
    apiVersions: helm.apiVersions,
  };
}

/** The folder (repo-relative) a source reads, or the chart folder of a Helm chart in Git. */
export function sourcePathOf(source: DrySource): string | undefined {
  if (source.kind === 'helm') return source.source.chart.path;
  return source.path;
}

/** Whether the hydrator Lambda renders this kind itself (the others run where their dependencies are: CI). */
export function rendersInLambda(source: DrySource): boolean {
  return source.kind === 'kustomize' || source.kind === 'yaml' || source.kind === 'helm';
}

function within(path: string, folder: string): boolean {
  return folder === '.' || path === folder || path.startsWith(`${folder}/`);
}

/**
 * Rules across targets: names are unique; two targets never write the same folder or one inside the other (each
 * deletes what it no longer renders there); an output on the dry branch never lies inside a source or input folder
 * (its commit would change what it renders from), nor at the root of the dry branch.
 */
function checkTogether(
  targets: readonly RenderTarget[],
  lineOf: (index: number, key: (string | number)[]) => number,
  file: string,
): void {
  const seen = new Map<string, number>();
  targets.forEach((t, i) => {
    const first = seen.get(t.name);
    if (first !== undefined) {
      throw new RenderConfigError(
        file,
        lineOf(i, ['name']),
        `targets[${i}].name`,
        `'${t.name}' is also the name of targets[${first}]. Give each target its own name`,
      );
    }
    seen.set(t.name, i);
  });
  targets.forEach((t, i) => {
    const branch = t.destination.branch;
    if (branch === undefined && t.destination.path === '.') {
      throw new RenderConfigError(
        file,
        lineOf(i, ['destination']),
        `targets[${i}].destination.path`,
        'is the root of the dry branch, where the render would delete the sources. Name a folder (such as rendered/dev), or a branch',
      );
    }
    if (branch === undefined) {
      const reads = [sourcePathOf(t.source), ...t.inputs].filter((p): p is string => p !== undefined);
      for (const other of targets) {
        const otherReads = [sourcePathOf(other.source), ...other.inputs].filter((p): p is string => p !== undefined);
        const clash = [...reads, ...otherReads].find(
          (p) => within(p, t.destination.path) || within(t.destination.path, p),
        );
        if (clash !== undefined) {
          throw new RenderConfigError(
            file,
            lineOf(i, ['destination', 'path']),
            `targets[${i}].destination.path`,
            `'${t.destination.path}' overlaps '${clash}', which a target renders from. Write rendered output to a folder of its own`,
          );
        }
      }
    }
    targets.forEach((o, j) => {
      if (j <= i || (o.destination.branch ?? '') !== (branch ?? '')) return;
      if (within(o.destination.path, t.destination.path) || within(t.destination.path, o.destination.path)) {
        throw new RenderConfigError(
          file,
          lineOf(j, ['destination', 'path']),
          `targets[${j}].destination.path`,
          `'${o.destination.path}' overlaps '${t.destination.path}' of targets[${i}] on ${branch ?? 'the dry branch'}. Give each target a folder of its own`,
        );
      }
    });
  });
}
