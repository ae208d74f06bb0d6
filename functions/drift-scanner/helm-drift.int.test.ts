import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { parseHelmSource } from '../../core/helm/chart-source';
import { syncRelease } from '../../engine/sync/sync-release';
import { lambdaContext, scheduledEvent } from '../../local/invoke';
import { uniqueNamespace } from '../../test/support/cluster';
import { corpusPath } from '../../test/support/corpus';
import { createGitRepo } from '../../test/support/git-repo';
import { uniqueName } from '../../test/support/local-env';

// The drift scanner on a Helm release the agent's engine applied: the same chart from the same commit, rendered by
// the scanner dry (as in Lambda), compared with the real API server. A hand edit of a chart object is found with the
// field and its manager; the generated Secret value and the objects of a template calling lookup are not judged.
const kubectl = (...args: string[]) => execFileSync('kubectl', args, { stdio: 'pipe' }).toString();
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
afterAll(() => cluster.close());

function chartFiles(chart: string, prefix: string): Record<string, string> {
  const root = corpusPath('helm-charts', chart);
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files[`${prefix}/${relative(root, path)}`] = readFileSync(path, 'utf8');
    }
  }
  return files;
}

describe('drift-scanner on a Helm release', () => {
  const name = uniqueName('helm-drift');
  let ns: string;

  beforeAll(async () => {
    kubectl('apply', '--server-side', '--force-conflicts', '-f', 'agent/deploy/base/crd.yaml');
    kubectl('wait', '--for=condition=Established', 'crd/syncs.tidemark.dev');
    spawnSync('kubectl', ['create', 'namespace', 'tidemark-system'], { stdio: 'ignore' });
    ns = await uniqueNamespace('helm-drift');
    const path = `clusters/${name}`;
    const repo = await createGitRepo('helm-drift', {
      ...chartFiles('metrics-server', 'charts/metrics-server'),
      [`${path}/values.yaml`]: 'tls:\n  type: helm\napiService:\n  insecureSkipTLSVerify: false\n',
    });
    const helm = { chart: { path: 'charts/metrics-server' }, targetNamespace: ns, valuesFiles: ['values.yaml'] };
    process.env.TIDEMARK_CONFIG = JSON.stringify({
      configRepo: { provider: 'git', url: repo.url, branch: 'main', authSecretName: 'tidemark/config-repo' },
      clusters: [{ name, eksClusterName: 'local', region: 'us-east-1', path }],
      images: { ecrRepositories: ['web'] },
    });
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const sync = {
      apiVersion: 'tidemark.dev/v1alpha1',
      kind: 'Sync',
      metadata: { name, namespace: 'tidemark-system' },
      spec: { url: repo.url, branch: 'main', path, helm },
    };
    execFileSync('kubectl', ['apply', '--server-side', '-f', '-'], { input: JSON.stringify(sync), stdio: 'pipe' });

    // What the agent does for this Sync (agent/sync-controller.ts), then the status it writes.
    const checkout = join(process.env.TMPDIR ?? '/tmp', `${name}-checkout`);
    execFileSync('git', [
      'clone',
      '--quiet',
      repo.url.replace(
        'http://',
        `http://${encodeURIComponent(process.env.TIDEMARK_GIT_USERNAME ?? '')}:${encodeURIComponent(process.env.TIDEMARK_GIT_PASSWORD ?? '')}@`,
      ),
      checkout,
    ]);
    const parsed = parseHelmSource(helm);
    if (!parsed.ok) throw new Error(parsed.message);
    const applied = await syncRelease(cluster, {
      sync: { namespace: 'tidemark-system', name },
      dir: join(checkout, path),
      repoRoot: checkout,
      revision: repo.head(),
      helm: parsed.source,
      prune: true,
      maxPruneShare: 1,
      lookupAs: cluster.credentials,
    });
    expect(applied.outcome.kind, JSON.stringify(applied.outcome)).toMatch(/applied|progressing/);
    const inventory = 'inventory' in applied.outcome ? applied.outcome.inventory : undefined;
    kubectl(
      '-n',
      'tidemark-system',
      'patch',
      'sync',
      name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { lastAppliedRevision: repo.head(), inventory, helm: applied.release } }),
    );
  });

  afterAll(() => {
    spawnSync('kubectl', ['-n', 'tidemark-system', 'delete', 'sync', name, '--ignore-not-found'], { stdio: 'ignore' });
  });

  it('finds a hand edit of a chart object with the field and manager, and does not judge the lookup template', async () => {
    const { handler } = await import('./handler');
    const scan = async () => {
      const { clusters } = await handler(
        scheduledEvent('arn:aws:scheduler:us-east-1:123456789012:schedule/default/drift'),
        lambdaContext('drift-scanner'),
      );
      const outcome = clusters.find((c) => c.cluster === name)?.outcome;
      if (outcome?.kind !== 'scanned') throw new Error(`scan failed: ${JSON.stringify(outcome)}`);
      return outcome.report;
    };
    const clean = await scan();
    expect(clean.findings.filter((f) => f.kind !== 'sync-lagging')).toEqual([]);
    // The APIService's template looks up its Secret to reuse the certificate: not judged without the cluster's Secrets.
    expect(clean.unjudged?.join('\n')).toContain('APIService/v1beta1.metrics.k8s.io');

    // A hand edit of a chart object: kubectl patch, as its own field manager.
    kubectl(
      '-n',
      ns,
      'patch',
      'deployment',
      `${name}-metrics-server`,
      '--type=merge',
      '--field-manager=hand-edit',
      '-p',
      JSON.stringify({ spec: { replicas: 4 } }),
    );
    const drifted = await scan();
    const modified = drifted.findings.find((f) => f.kind === 'modified');
    expect(modified).toMatchObject({
      kind: 'modified',
      object: { kind: 'Deployment', namespace: ns, name: `${name}-metrics-server` },
      fields: [{ path: 'spec.replicas', desired: 1, live: 4, writer: { manager: 'hand-edit' } }],
    });
  });
});
