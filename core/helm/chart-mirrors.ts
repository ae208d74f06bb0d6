import { parse } from 'yaml';
import { z } from 'zod';
import type { ChartRef } from './chart-source';

/**
 * Where the agent and the drift scanner pull a chart from instead of the place Git names: a private EKS cluster
 * without internet egress keeps copies of public charts in ECR (or an internal chart repository), and a Flux config
 * repo moved over unchanged still names `https://stefanprodan.github.io/podinfo`. A mirror maps one chart repository
 * URL, or one OCI prefix, to another, for every Sync of the cluster; Git stays as it is. Configured once per agent
 * (`TIDEMARK_CHART_MIRRORS`, a YAML or JSON list), since it describes the cluster's network, not an application.
 *
 * ```yaml
 * - from: https://stefanprodan.github.io/podinfo        # an HTTPS chart repository …
 *   to: oci://123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror   # … served from ECR: the chart is <to>/<name>
 * - from: oci://ghcr.io/fluxcd-community/charts           # an OCI prefix: oci://ghcr.io/…/charts/x → <to>/x
 *   to: oci://registry.internal/charts
 *   secretRef: { namespace: tidemark-system, name: registry-internal }   # username/password (and ca.crt)
 * ```
 */
export interface ChartMirror {
  /** An HTTPS chart repository URL (its index.yaml sits under it), or an `oci://registry/prefix`. */
  from: string;
  /** Where those charts are pulled from: an `oci://` prefix, or an HTTPS chart repository. */
  to: string;
  /**
   * Credentials for `to` (keys `username`, `password`, `ca.crt`), in a namespace the platform team owns (the agent's
   * own): a Sync's secretRef is for the upstream it names, not for the mirror. Without it, an ECR `to` is signed with
   * the agent's AWS identity and any other is pulled anonymously.
   */
  secretRef?: { namespace: string; name: string };
}

const url = z
  .string()
  .regex(/^(oci|https?):\/\/[^\s/]+(\/\S*)?$/, 'is not an https:// chart repository or an oci:// prefix')
  .transform((u) => u.replace(/\/+$/, ''));
const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'is not a Kubernetes name');

const MirrorSchema = z
  .object({
    from: url,
    to: url,
    secretRef: z.object({ namespace: dnsName, name: dnsName }).strict().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.from.startsWith('oci://') && !m.to.startsWith('oci://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'must be an oci:// prefix too: an OCI chart keeps its path under the mirror',
      });
    }
  });

/**
 * Parses `TIDEMARK_CHART_MIRRORS` (YAML or JSON: a list of mirrors). Empty or unset: no mirrors.
 *
 * @throws Error naming the entry, the key and the fix.
 */
export function parseChartMirrors(text: string | undefined): ChartMirror[] {
  if (text === undefined || text.trim() === '') return [];
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new Error(
      `TIDEMARK_CHART_MIRRORS is not YAML or JSON (${(error as Error).message}). Write a list of {from, to}`,
      {
        cause: error,
      },
    );
  }
  const parsed = z.array(MirrorSchema).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new Error(
      `TIDEMARK_CHART_MIRRORS${where}: ${issue?.message ?? 'invalid'}. Write a list such as [{from: https://charts.example.com, to: oci://registry.internal/mirror}]`,
    );
  }
  return parsed.data;
}

/**
 * The chart to pull for `chart` under the mirrors (the first that matches), and the mirror used. A chart in Git is
 * never mirrored. The chart's own secretRef goes with the upstream: a mirrored chart takes the mirror's credentials.
 *
 * @example
 * mirrorChart({ repository: 'https://stefanprodan.github.io/podinfo', name: 'podinfo', version: '6.x' },
 *   [{ from: 'https://stefanprodan.github.io/podinfo', to: 'oci://registry.internal/mirror' }]).chart
 * // { oci: 'oci://registry.internal/mirror/podinfo', version: '6.x' }
 */
export function mirrorChart(
  chart: ChartRef,
  mirrors: readonly ChartMirror[],
): { chart: ChartRef; mirror?: ChartMirror } {
  const version = chart.version !== undefined ? { version: chart.version } : {};
  for (const mirror of mirrors) {
    if (chart.repository !== undefined && chart.name !== undefined && trim(chart.repository) === mirror.from) {
      const to: ChartRef = mirror.to.startsWith('oci://')
        ? { oci: `${mirror.to}/${chart.name}`, ...version }
        : { repository: mirror.to, name: chart.name, ...version };
      return { chart: to, mirror };
    }
    if (chart.oci !== undefined && mirror.from.startsWith('oci://') && chart.oci.startsWith(`${mirror.from}/`)) {
      return { chart: { oci: `${mirror.to}${chart.oci.slice(mirror.from.length)}`, ...version }, mirror };
    }
  }
  return { chart };
}

function trim(u: string): string {
  return u.replace(/\/+$/, '');
}
