import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { diffLocal } from '../../cli/commands/diff';
import type { DriftFinding } from '../../core/drift/drift-report';
import { driftedFields } from '../../core/drift/drifted-fields';
import { withOwnership } from '../../core/sync/ownership';
import { uniqueNamespace } from '../../test/support/cluster';
import { renderFolder } from '../render/render-folder';
import { syncFolder } from '../sync/sync-folder';

// The drift scan against the real kube-apiserver (and its controller manager, for the HPA), with objects applied by
// the agent's engine exactly as Git has them, then changed by hand with the stock kubectl.

/** Manifests that the API server rewrites on the way in: defaults, canonical quantities, stringData. */
function manifests(ns: string): string {
  return `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec:
  selector: { app: web }
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns}, labels: { app: web } }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0.0
          ports: [{ containerPort: 8080 }]
          env: [{ name: LOG_LEVEL, value: info }]
          resources:
            requests: { cpu: 1000m, memory: 64Mi }
            limits: { cpu: "1.5", memory: 0.5Gi }
---
apiVersion: v1
kind: Secret
metadata: { name: db, namespace: ${ns} }
stringData:
  password: from-git
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: ${ns} }
data:
  FEATURE_X: "false"
`;
}

const kubectl = (...args: string[]) => execFileSync('kubectl', args, { stdio: 'pipe' }).toString();

// uniqueNamespace registers its cleanup with afterAll, which does not fire when called from a hook or a test; delete
// this file's namespaces explicitly.
const namespaces: string[] = [];
afterAll(() => {
  if (namespaces.length > 0) kubectl('delete', 'namespace', '--wait=false', ...namespaces);
});

describe('drift scan on a real API server', () => {
  let ns: string;
  let dir: string;
  const sync = () => ({ namespace: ns, name: 'drift' });
  const scan = (ignoreRules = '') => diffLocal(dir, { name: 'drift', namespace: ns, noCache: true, ignoreRules });

  beforeAll(async () => {
    ns = await uniqueNamespace('drift');
    namespaces.push(ns);
    dir = mkdtempSync(join(tmpdir(), 'tidemark-drift-'));
    writeFileSync(join(dir, 'app.yaml'), manifests(ns));
    const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
    const { outcome } = await syncFolder(cluster, {
      sync: sync(),
      dir,
      revision: 'test',
      prune: false,
      maxPruneShare: 0,
    });
    cluster.close();
    expect(outcome.kind).not.toMatch(/failed/);
  });

  it('finds no drift right after applying exactly what Git has', async () => {
    const { report, stats } = await scan();
    expect(report.findings).toEqual([]);
    expect(report.fingerprint).toBeNull();
    expect(report.objectsScanned).toBe(4);
    // `1000m`, `0.5Gi`, `1.5` and stringData are proven equal to their stored forms without asking the API server.
    expect(stats).toMatchObject({ filtered: 4, dryRuns: 0 });
  });

  it('agrees with the server-side apply dry-run for every object, not only through the managedFields shortcut', async () => {
    // Protocol-less ports, `1000m`, `0.5Gi`, stringData and strategy defaults must all compare equal to the oracle.
    const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
    try {
      for (const object of await renderFolder(dir)) {
        const desired = withOwnership(object, sync());
        const live = await cluster.get({ ...desired, namespace: ns, name: desired.metadata.name });
        const afterApply = await cluster.apply(desired, { dryRun: true });
        expect(driftedFields(afterApply, live!), object.kind).toEqual([]);
      }
    } finally {
      cluster.close();
    }
  });

  describe('after hand edits', () => {
    let findings: DriftFinding[];
    beforeAll(async () => {
      kubectl('-n', ns, 'scale', 'deployment/web', '--replicas=5');
      // `kubectl edit` with a non-interactive editor: the same code path (and field manager) as a human edit.
      execFileSync('kubectl', ['-n', ns, 'edit', 'configmap/settings'], {
        stdio: 'pipe',
        env: { ...process.env, KUBE_EDITOR: `sed -i s/FEATURE_X:\\ \\"false\\"/FEATURE_X:\\ \\"true\\"/` },
      });
      kubectl('-n', ns, 'label', 'service/web', 'app.kubernetes.io/managed-by=someone', '--overwrite');
      kubectl('-n', ns, 'delete', 'secret/db');
      kubectl('-n', ns, 'create', 'configmap', 'extra', '--from-literal=a=b');
      kubectl(
        '-n',
        ns,
        'label',
        'configmap/extra',
        'app.kubernetes.io/managed-by=tidemark',
        `tidemark.dev/sync=${ns}.drift`,
      );
      findings = (await scan()).report.findings;
    });

    const find = (kind: string, name: string) =>
      findings.find((f) => 'object' in f && f.object.kind === kind && f.object.name === name);

    it('names kubectl scale as the writer of spec.replicas, through the scale subresource', () => {
      expect(find('Deployment', 'web')).toMatchObject({
        kind: 'modified',
        fields: [{ path: 'spec.replicas', desired: 2, live: 5, writer: { manager: 'kubectl', subresource: 'scale' } }],
      });
    });

    it('names kubectl-edit as the writer of an edited value, and when', () => {
      const edited = find('ConfigMap', 'settings');
      expect(edited).toMatchObject({
        kind: 'modified',
        fields: [{ path: 'data.FEATURE_X', desired: 'false', live: 'true', writer: { manager: 'kubectl-edit' } }],
      });
      const time = edited?.kind === 'modified' ? edited.fields[0]?.writer?.time : undefined;
      expect(Date.now() - Date.parse(time ?? '')).toBeLessThan(120_000);
    });

    it('finds a relabelled object although it left our label selector, and names kubectl-label', () => {
      expect(find('Service', 'web')).toMatchObject({
        kind: 'modified',
        fields: [
          {
            pointer: '/metadata/labels/app.kubernetes.io~1managed-by',
            desired: 'tidemark',
            live: 'someone',
            writer: { manager: 'kubectl-label' },
          },
        ],
      });
    });

    it('reports the deleted Secret as missing and the extra labelled ConfigMap as orphan', () => {
      expect(find('Secret', 'db')).toEqual({
        kind: 'missing',
        object: { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' },
      });
      expect(find('ConfigMap', 'extra')).toMatchObject({ kind: 'orphan', writer: { manager: 'kubectl-label' } });
      expect(findings).toHaveLength(5);
    });
  });
});

describe('an HPA that owns spec.replicas', () => {
  it('is ignored by the example config repo rule, and reported without it', async () => {
    const ns = await uniqueNamespace('drift-hpa');
    namespaces.push(ns);
    const dir = mkdtempSync(join(tmpdir(), 'tidemark-drift-hpa-'));
    writeFileSync(join(dir, 'app.yaml'), manifests(ns));
    const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
    await syncFolder(cluster, {
      sync: { namespace: ns, name: 'hpa' },
      dir,
      revision: 't',
      prune: false,
      maxPruneShare: 0,
    });
    // The real HPA controller (in kube-controller-manager) raises replicas to minReplicas even without metrics.
    kubectl('-n', ns, 'autoscale', 'deployment/web', '--min=4', '--max=6');
    for (let i = 0; i < 60; i++) {
      const live = await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
      if ((live?.spec as { replicas?: number } | undefined)?.replicas === 4) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    cluster.close();

    const rules = readFileSync('examples/config-repo/.tidemark/drift.yaml', 'utf8');
    const withRule = await diffLocal(dir, { name: 'hpa', namespace: ns, noCache: true, ignoreRules: rules });
    expect(withRule.report.findings).toEqual([]);
    expect(withRule.report.ignoredFields).toBe(1);

    const withoutRule = await diffLocal(dir, { name: 'hpa', namespace: ns, noCache: true, ignoreRules: '' });
    expect(withoutRule.report.findings).toMatchObject([
      {
        kind: 'modified',
        fields: [
          { path: 'spec.replicas', live: 4, writer: { manager: 'kube-controller-manager', subresource: 'scale' } },
        ],
      },
    ]);
  });
});
