import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseHelmSource } from '../../core/helm/chart-source';
import { planHooks } from '../../core/helm/hooks';
import { corpusPath } from '../../test/support/corpus';
import { ChartRenderError, type ChartRenderRequest, helmBinary, renderChart } from './helm-chart';

const projectRoot = join(import.meta.dirname, '../..');
const run = promisify(execFile);

/** The host build of the Helm the agent and the scanner's layer carry (build.sh prints the host's path last). */
let helm: string;
/** A config repo checkout holding the corpus charts under charts/ (copied: the corpus is never changed). */
let repo: string;
beforeAll(async () => {
  const { stdout } = await run('bash', [join(projectRoot, 'infra/layers/helm/build.sh')], { maxBuffer: 1 << 20 });
  helm = stdout.trim().split('\n').at(-1) as string;
  repo = await mkdtemp(join(tmpdir(), 'helm-repo-'));
  for (const chart of [
    'podinfo',
    'karpenter',
    'redis',
    'ingress-nginx',
    'metrics-server',
    'aws-load-balancer-controller',
  ])
    await cp(corpusPath('helm-charts', chart), join(repo, 'charts', chart), { recursive: true });
}, 1_200_000);

function request(chart: string, extra: Partial<ChartRenderRequest> & { spec?: object } = {}): ChartRenderRequest {
  const parsed = parseHelmSource({ chart: { path: `charts/${chart}` }, ...extra.spec });
  if (!parsed.ok) throw new Error(parsed.message);
  return {
    source: parsed.source,
    release: { name: chart, namespace: 'apps' },
    repoRoot: repo,
    values: [],
    phase: 'install',
    helm,
    chartCache: join(repo, '.chart-cache'),
    ...extra,
  };
}

/** What `helm template` itself prints for the same chart and values, as objects (hooks included, tests skipped). */
async function helmTemplate(chart: string, ...args: string[]) {
  const { stdout } = await run(
    helm,
    ['template', chart, join(repo, 'charts', chart), '-n', 'apps', '--include-crds', '--skip-tests', ...args],
    {
      maxBuffer: 64 << 20,
    },
  );
  return parseAllDocuments(stdout, { version: '1.1' })
    .map((d) => d.toJS())
    .filter((o) => o !== null);
}

describe('renderChart, with the real Helm on the corpus charts', () => {
  it('is the pinned Helm v3.22, stamped with its real version', async () => {
    const { stdout } = await run(helm, ['version', '--short']);
    expect(stdout.trim()).toMatch(/^v3\.22\.\d+$/);
    expect(helmBinary(undefined, { TIDEMARK_HELM: '/opt/bin/helm' })).toBe('/opt/bin/helm');
  });

  it('renders podinfo from a path in Git to exactly the objects helm template prints, without its test Pods', async () => {
    const rendered = await renderChart(request('podinfo'));
    expect(rendered.chart).toEqual({ name: 'podinfo', version: '6.14.1' });
    expect([...rendered.crds, ...rendered.objects, ...rendered.hooks.map((h) => h.object)]).toEqual(
      await helmTemplate('podinfo'),
    );
    expect(rendered.objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
    expect(rendered.hooks).toEqual([]);
    expect(rendered.generated.size).toBe(0);
  });

  it('keeps CRDs from crds/ apart from the release objects, and stops with Helm message on a missing required value', async () => {
    const failure = await renderChart(request('karpenter')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ChartRenderError);
    expect((failure as ChartRenderError).failure.reason).toBe('ChartValuesRequired');
    expect((failure as Error).message).toMatch(/execution error at \(karpenter\/templates\/.*clusterName/);

    const rendered = await renderChart(
      request('karpenter', { values: [{ name: 'inline', text: 'settings:\n  clusterName: dev\n', secret: false }] }),
    );
    expect(rendered.crds.map((o) => o.metadata.name).sort()).toEqual([
      'capacitybuffers.autoscaling.x-k8s.io',
      'ec2nodeclasses.karpenter.k8s.aws',
      'nodeclaims.karpenter.sh',
      'nodeoverlays.karpenter.sh',
      'nodepools.karpenter.sh',
    ]);
    expect(rendered.objects.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
  });

  it("reports a values.schema.json violation as ChartValuesInvalid with Helm's message", async () => {
    const failure = await renderChart(
      request('redis', { values: [{ name: 'inline', text: 'replica:\n  replicaCount: many\n', secret: false }] }),
    ).catch((e: unknown) => e);
    expect((failure as ChartRenderError).failure.reason).toBe('ChartValuesInvalid');
    expect((failure as Error).message).toContain("values don't meet the specifications of the schema");
    expect((failure as Error).message).toContain('replicaCount');
  });

  it('refuses a cluster below the chart kubeVersion (podinfo needs >=1.23), from the capabilities given', async () => {
    const failure = await renderChart(
      request('podinfo', { capabilities: { kubeVersion: 'v1.22.0', apiVersions: [] } }),
    ).catch((e: unknown) => e);
    expect((failure as ChartRenderError).failure.reason).toBe('ChartKubeVersionUnsupported');
    expect((failure as Error).message).toContain('chart requires kubeVersion: >=1.23.0-0');
  });

  it("finds redis's random password by rendering twice, and names the generated fields", async () => {
    const rendered = await renderChart(request('redis'));
    const secret = [...rendered.generated.entries()].find(([key]) => key.includes('_redis__Secret'));
    expect(secret?.[1]).toEqual(['/data/redis-password']);
    // The checksum annotation computed from the password rotates with it.
    const statefulSet = [...rendered.generated.entries()].find(([key]) => key.includes('StatefulSet'));
    expect(statefulSet?.[1]).toContain('/spec/template/metadata/annotations/checksum~1secret');
  });

  it('sorts the ingress-nginx admission hooks into install and upgrade stages', async () => {
    const rendered = await renderChart(request('ingress-nginx'));
    const install = planHooks(rendered.hooks, 'install');
    expect(install.pre.at(-1)?.object.kind).toBe('Job');
    expect(install.pre.at(-1)?.template).toBe(
      'ingress-nginx/templates/admission-webhooks/job-patch/job-createSecret.yaml',
    );
    expect(install.post.at(-1)?.template).toBe(
      'ingress-nginx/templates/admission-webhooks/job-patch/job-patchWebhook.yaml',
    );
    expect(rendered.objects.some((o) => o.metadata.annotations?.['helm.sh/hook'])).toBe(false);
  });

  it('renders .Release.IsUpgrade and .Capabilities as asked', async () => {
    const rendered = await renderChart(
      request('metrics-server', {
        phase: 'upgrade',
        capabilities: { kubeVersion: 'v1.24.0', apiVersions: ['policy/v1beta1/PodSecurityPolicy'] },
      }),
    );
    // metrics-server renders a PodSecurityPolicy only below Kubernetes 1.25 when asked to.
    const expected = await helmTemplate(
      'metrics-server',
      '--is-upgrade',
      '--kube-version',
      'v1.24.0',
      '--api-versions',
      'policy/v1beta1/PodSecurityPolicy',
    );
    expect([...rendered.crds, ...rendered.objects]).toEqual(expected);
  });

  it('warns naming the template when a chart calls lookup in a dry render', async () => {
    const rendered = await renderChart(
      request('metrics-server', { values: [{ name: 'inline', text: 'tls:\n  type: helm\n', secret: false }] }),
    );
    expect(rendered.unjudgeable).toEqual(['metrics-server/templates/apiservice.yaml']);
    expect(rendered.warnings[0]).toContain('lookup returned nothing in metrics-server/templates/apiservice.yaml');
  });

  it('refuses a chart path that leaves the checkout, by .. or by a symlink', async () => {
    await expect(renderChart(request('podinfo', { spec: { chart: { path: '../etc' } } }))).rejects.toThrow(
      /leaves the checkout|is not a folder/,
    );
    await symlink(tmpdir(), join(repo, 'outside'));
    await expect(renderChart(request('podinfo', { spec: { chart: { path: 'outside' } } }))).rejects.toThrow(
      'outside: leaves the checkout of the config repo',
    );
  });

  it('never puts a value from a Secret into the message of a failed render', async () => {
    const chart = join(repo, 'charts', 'quoting');
    await mkdir(join(chart, 'templates'), { recursive: true });
    await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: quoting\nversion: 0.1.0\n');
    await writeFile(join(chart, 'templates', 'cm.yaml'), '{{ fail (printf "bad token %s" .Values.token) }}\n');
    const failure = await renderChart(
      request('quoting', {
        values: [{ name: 'Secret/web[values.yaml]', text: 'token: s3cr3t-t0ken\n', secret: true }],
      }),
    ).catch((e: unknown) => e);
    expect((failure as Error).message).toContain('bad token ***');
    expect((failure as Error).message).not.toContain('s3cr3t-t0ken');
  });
});
