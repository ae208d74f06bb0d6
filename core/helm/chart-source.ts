import { z } from 'zod';

/**
 * Where a Sync's Helm chart comes from, and how it is released: `spec.helm` of a Sync (documented in agent/README.md,
 * validated by the CRD schema in agent/deploy/base/crd.yaml and by this parser). Field names follow Flux's
 * `HelmRelease` where the meaning is the same (`releaseName`, `targetNamespace`, `valuesFrom[].valuesKey`), so a Flux
 * user reads it without a glossary.
 *
 * ```yaml
 * spec:
 *   url: https://git.example.com/platform/config.git   # the config repo: values files are read from it
 *   path: clusters/prod/web                            # values files are relative to this folder
 *   helm:
 *     chart:
 *       oci: oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/charts/web   # or
 *       # repository: https://charts.example.com   name: web                 # or
 *       # path: charts/web                          (a chart in the config repo, relative to the repo root)
 *       version: ">=1.4.0 <2"        # exact or a semver range; not used for a chart in Git
 *       secretRef: { name: charts }  # basic auth (username/password); ECR needs none: the agent's Pod Identity signs
 *     releaseName: web               # default: the Sync's name
 *     targetNamespace: shop          # default: the Sync's namespace
 *     valuesFiles: [values.yaml, values-prod.yaml]
 *     valuesFrom: [{ kind: Secret, name: web-values, valuesKey: values.yaml }]
 *     values: { replicaCount: 3 }
 * ```
 */
const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'is not a DNS-1123 name such as web-values');

export const ChartRef = z
  .object({
    /** `oci://registry/repository/chart` (no tag: the version is `version`). */
    oci: z
      .string()
      .regex(/^oci:\/\/[^/\s:]+(:\d+)?\/[^\s:@]+$/, 'is not an OCI chart reference such as oci://registry/charts/web')
      .optional(),
    /** An HTTPS chart repository (the URL its `index.yaml` sits under). */
    repository: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'is not an http(s) URL of a chart repository')
      .optional(),
    /** The chart's name in `repository`. */
    name: z.string().min(1).optional(),
    /** A chart folder in the config repo, relative to its root; its `charts/` are the vendored dependencies. */
    path: z.string().min(1).optional(),
    /** An exact version or a semver range (`1.4.x`, `>=1.4.0 <2`); the highest match is used. */
    version: z.string().min(1).optional(),
    /** A Secret in the Sync's namespace with `username` and `password` for the registry or chart repository. */
    secretRef: z.object({ name }).strict().optional(),
  })
  .strict()
  .superRefine((chart, ctx) => {
    const kinds = (['oci', 'repository', 'path'] as const).filter((k) => chart[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `names ${kinds.length === 0 ? 'no chart' : `both ${kinds.join(' and ')}`}. Give exactly one of oci, repository (with name) or path`,
      });
      return;
    }
    if (chart.repository !== undefined && chart.name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required with repository. Name the chart' });
    }
    if (chart.repository === undefined && chart.name !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'is only used with repository. Remove it' });
    }
    if (chart.path !== undefined && chart.version !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['version'],
        message: 'is not used for a chart in Git (its Chart.yaml says the version). Remove it',
      });
    }
    if (chart.path !== undefined && chart.secretRef !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secretRef'],
        message: "is not used for a chart in Git (the repository's own secretRef applies). Remove it",
      });
    }
  });
export type ChartRef = z.infer<typeof ChartRef>;

export const ValuesReference = z
  .object({
    kind: z.enum(['ConfigMap', 'Secret']),
    name,
    /** The key holding a YAML document of values. */
    valuesKey: z.string().min(1).default('values.yaml'),
    /** A missing object or key is no error (the layer is skipped) instead of Stalled. */
    optional: z.boolean().default(false),
  })
  .strict();
export type ValuesReference = z.infer<typeof ValuesReference>;

export const HelmSource = z
  .object({
    chart: ChartRef,
    releaseName: name.max(53, 'is longer than the 53 characters Helm allows').optional(),
    targetNamespace: name.optional(),
    /** Files in the config repo, relative to the Sync's path, merged in order (later wins), as `helm -f`. */
    valuesFiles: z.array(z.string().min(1)).default([]),
    /** ConfigMaps and Secrets in the Sync's namespace, merged after valuesFiles in order. */
    valuesFrom: z.array(ValuesReference).default([]),
    /** Inline values, merged last. */
    values: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type HelmSource = z.infer<typeof HelmSource>;

/** What kind of chart a reference names, for messages and the status. */
export type ChartOrigin =
  | { kind: 'oci'; url: string; version?: string }
  | { kind: 'repository'; url: string; name: string; version?: string }
  | { kind: 'git'; path: string };

export function chartOriginOf(chart: ChartRef): ChartOrigin {
  if (chart.oci !== undefined) return { kind: 'oci', url: chart.oci, version: chart.version };
  if (chart.repository !== undefined)
    return { kind: 'repository', url: chart.repository, name: chart.name ?? '', version: chart.version };
  return { kind: 'git', path: chart.path ?? '.' };
}

/** Release name and namespace: the Sync's own unless `spec.helm` says otherwise. */
export function releaseOf(source: HelmSource, sync: { namespace: string; name: string }): Release {
  return { name: source.releaseName ?? sync.name, namespace: source.targetNamespace ?? sync.namespace };
}

export interface Release {
  name: string;
  namespace: string;
}

/** Parses `spec.helm`, or a message naming the field and the fix (set on the Sync's Stalled condition). */
export function parseHelmSource(value: unknown): { ok: true; source: HelmSource } | { ok: false; message: string } {
  const parsed = HelmSource.safeParse(value);
  if (parsed.success) return { ok: true, source: parsed.data };
  const issue = parsed.error.issues[0];
  const field = ['spec', 'helm', ...(issue?.path ?? [])].join('.');
  return { ok: false, message: `${field}: ${issue?.message ?? 'invalid'}. Fix the Sync's spec.` };
}
