import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ClusterClient } from '../../adapters/kubernetes/cluster-client';
import { dryRunChanges } from '../../core/sync/in-sync';
import type { Inventory } from '../../core/sync/inventory';
import type { KubeObject } from '../../core/sync/kube-object';
import type { SyncOutcome } from '../../core/sync/sync-outcome';
import { uniqueNamespace } from '../../test/support/cluster';
import { eventually } from '../../test/support/eventually';
import { uniqueName } from '../../test/support/local-env';
import { syncFolder } from './sync-folder';

// Against the real local kube-apiserver and controller manager: a namespace per test, a Sync identity per test.
const cluster = ClusterClient.fromKubeconfig(process.env.KUBECONFIG);
afterAll(() => cluster.close());

const configMap = (namespace: string, name: string, data: Record<string, string> = { k: 'v' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

const deployment = (namespace: string, name: string, app = name): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app } },
    template: {
      metadata: { labels: { app } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
    },
  },
});

/** A Sync's life across reconciles: it remembers the inventory of the last successful one, as the agent does. */
function syncer(name: string, options: { maxPruneShare?: number } = {}) {
  const sync = { namespace: 'default', name: uniqueName(name) };
  let previous: Inventory | undefined;
  return {
    sync,
    async run(files: Record<string, string>, extra: { prune?: boolean } = {}): Promise<SyncOutcome> {
      const dir = mkdtempSync(join(tmpdir(), 'sync-folder-'));
      try {
        for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
        const { outcome } = await syncFolder(cluster, {
          sync,
          dir,
          revision: 'test',
          previous,
          prune: extra.prune ?? true,
          maxPruneShare: options.maxPruneShare ?? 1,
        });
        if ('inventory' in outcome) previous = outcome.inventory;
        return outcome;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const yamlOf = (...objects: KubeObject[]) => objects.map((o) => stringify(o)).join('---\n');
const actionFor = (outcome: SyncOutcome, subject: string) =>
  'changeSet' in outcome ? outcome.changeSet.actionFor(subject) : undefined;
const get = (namespace: string, name: string, kind = 'ConfigMap', apiVersion = 'v1') =>
  cluster.get({ apiVersion, kind, namespace, name });

describe('syncFolder', () => {
  it('creates, updates and prunes, and a steady-state reconcile changes nothing', async () => {
    const ns = await uniqueNamespace('sync-crud');
    const s = syncer('crud');
    const first = await s.run({ 'app.yaml': yamlOf(configMap(ns, 'a'), configMap(ns, 'b'), deployment(ns, 'web')) });
    expect(first.kind).not.toMatch(/failed|refused/);
    expect(actionFor(first, `ConfigMap/${ns}/a`)).toBe('created');
    const live = await get(ns, 'a');
    expect(live?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'tidemark',
      'tidemark.dev/sync': `default.${s.sync.name}`,
    });

    const second = await s.run({
      'app.yaml': yamlOf(configMap(ns, 'a', { k: 'changed' }), configMap(ns, 'b'), deployment(ns, 'web')),
    });
    expect(actionFor(second, `ConfigMap/${ns}/a`)).toBe('configured');
    expect(actionFor(second, `ConfigMap/${ns}/b`)).toBe('unchanged');
    expect((await get(ns, 'a'))?.data).toEqual({ k: 'changed' });

    const rvBefore = (await get(ns, 'b'))?.metadata.resourceVersion;
    const steady = await s.run({
      'app.yaml': yamlOf(configMap(ns, 'a', { k: 'changed' }), configMap(ns, 'b'), deployment(ns, 'web')),
    });
    expect('changeSet' in steady && steady.changeSet.changes.map((c) => c.action)).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect((await get(ns, 'b'))?.metadata.resourceVersion).toBe(rvBefore);

    const pruned = await s.run({ 'app.yaml': yamlOf(configMap(ns, 'a', { k: 'changed' }), deployment(ns, 'web')) });
    expect(actionFor(pruned, `ConfigMap/${ns}/b`)).toBe('deleted');
    expect(await get(ns, 'b')).toBeUndefined();
  });

  it('agrees with the API server: what it calls unchanged, a server-side dry-run leaves unchanged', async () => {
    const ns = await uniqueNamespace('sync-oracle');
    const service: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: ns },
      data: { k: 'dg==' },
    };
    const objects = [configMap(ns, 'a'), deployment(ns, 'web'), service, secret];
    const s = syncer('oracle');
    await s.run({ 'all.yaml': yamlOf(...objects) });
    const steady = await s.run({ 'all.yaml': yamlOf(...objects) });
    expect('changeSet' in steady && steady.changeSet.count('unchanged')).toBe(4);
    for (const object of objects) {
      const labelled = {
        ...object,
        metadata: {
          ...object.metadata,
          labels: { 'app.kubernetes.io/managed-by': 'tidemark', 'tidemark.dev/sync': `default.${s.sync.name}` },
        },
      };
      const ref = { apiVersion: object.apiVersion, kind: object.kind, namespace: ns, name: object.metadata.name };
      // The Deployment's controller may write it between our read and the dry-run (its revision annotation, status):
      // the verdict is taken again on a fresh read, and a real disagreement still fails after 10 s.
      const agrees = await eventually(
        async () => !dryRunChanges((await cluster.get(ref))!, await cluster.apply(labelled, { dryRun: true })),
        10_000,
        `${object.kind}: unchanged by a server-side dry-run`,
      ).catch(() => false);
      expect(agrees, object.kind).toBe(true);
    }
  });

  it('applies a CRD and its custom resources in the same set', async () => {
    const ns = await uniqueNamespace('sync-crd');
    const group = `${uniqueName('g')}.tidemark.test`;
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}`, annotations: { 'tidemark.dev/prune': 'allow' } },
      spec: {
        group,
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    const widget: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: ns },
      spec: { size: 3 },
    };
    const s = syncer('crd');
    // Custom resource first in the file: stage order, not file order, decides.
    const outcome = await s.run({ 'all.yaml': yamlOf(widget, crd) });
    expect(outcome.kind).toBe('applied');
    expect((await cluster.get({ apiVersion: `${group}/v1`, kind: 'Widget', namespace: ns, name: 'w1' }))?.spec).toEqual(
      { size: 3 },
    );
    const again = await s.run({ 'all.yaml': yamlOf(widget, crd) });
    expect('changeSet' in again && again.changeSet.count('unchanged')).toBe(2);
    // Clean up the cluster-scoped CRD through prune (it opted in with the annotation).
    const removed = await s.run({ 'other.yaml': yamlOf(configMap(ns, 'keep')) });
    expect(actionFor(removed, `CustomResourceDefinition/widgets.${group}`)).toBe('deleted');
  });

  it('reports an immutable-field change with the object, the reason and the fix', async () => {
    const ns = await uniqueNamespace('sync-immutable');
    const s = syncer('immutable');
    await s.run({ 'd.yaml': yamlOf(deployment(ns, 'web', 'web')) });
    const outcome = await s.run({ 'd.yaml': yamlOf(deployment(ns, 'web', 'web-v2'), configMap(ns, 'beside')) });
    expect(outcome.kind).toBe('apply-failed');
    // The ConfigMap applied beside the failure is in the inventory, so it is pruned once Git drops it.
    const fixed = await s.run({ 'd.yaml': yamlOf(deployment(ns, 'web', 'web')) });
    expect(actionFor(fixed, `ConfigMap/${ns}/beside`)).toBe('deleted');
    expect(outcome.kind === 'apply-failed' && outcome.message).toMatch(
      new RegExp(
        `Deployment/${ns}/web (dry-run )?apply failed \\(Invalid\\): .*spec\\.selector.*field is immutable.*Restore the field in Git, or delete the object`,
      ),
    );
  });

  it('deletes nothing when the YAML is broken, and says where', async () => {
    const ns = await uniqueNamespace('sync-broken');
    const s = syncer('broken');
    await s.run({ 'a.yaml': yamlOf(configMap(ns, 'a'), configMap(ns, 'b')) });
    const outcome = await s.run({ 'a.yaml': `${yamlOf(configMap(ns, 'a'))}---\nkind: [oops\n` });
    expect(outcome).toMatchObject({
      kind: 'render-failed',
      message: expect.stringMatching(/^a\.yaml \(document 1\): is not valid YAML/),
    });
    expect(await get(ns, 'b')).toBeDefined();
  });

  it('deletes nothing when a document has more than 100 aliases (a YAML bomb), and calls it a render failure', async () => {
    const ns = await uniqueNamespace('sync-aliases');
    const s = syncer('aliases');
    await s.run({ 'a.yaml': yamlOf(configMap(ns, 'a'), configMap(ns, 'b')) });
    const aliases = Array.from({ length: 101 }, (_, i) => `  k${i}: *v`).join('\n');
    const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ${ns}}\nx: &v value\ndata:\n${aliases}\n`;
    const outcome = await s.run({ 'a.yaml': bomb });
    expect(outcome).toMatchObject({
      kind: 'render-failed',
      message: expect.stringMatching(/^a\.yaml \(document 0\): has more than 100 YAML aliases/),
    });
    expect(await get(ns, 'b')).toBeDefined();
  });

  it('prunes, on the next run, what a run killed mid-apply created: its intent was recorded before the first write', async () => {
    const ns = await uniqueNamespace('sync-intent');
    const sync = { namespace: 'default', name: uniqueName('intent') };
    const dir = mkdtempSync(join(tmpdir(), 'sync-intent-'));
    const write = (...objects: KubeObject[]) => writeFileSync(join(dir, 'all.yaml'), yamlOf(...objects));
    const run = (
      port: typeof cluster,
      previous: Inventory | undefined,
      recordIntent?: (i: Inventory) => Promise<void>,
    ) => syncFolder(port, { sync, dir, revision: 'test', previous, prune: true, maxPruneShare: 1, recordIntent });
    try {
      write(configMap(ns, 'a'));
      const first = await run(cluster, undefined);
      const previous = 'inventory' in first.outcome ? first.outcome.inventory : undefined;

      // The real API server, reached through a process that dies after its first write: what the agent had applied
      // when it was killed. Its outcome (and status write) never happens; only what it recorded before applying does.
      let writes = 0;
      const dying = new Proxy(cluster, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'apply' && property !== 'applyReporting')
            return typeof value === 'function' ? value.bind(target) : value;
          return async (object: KubeObject, options?: { dryRun?: boolean }) => {
            if (!options?.dryRun && writes++ >= 1) throw new Error('the agent was killed');
            return value.call(target, object, options);
          };
        },
      });
      let recorded: Inventory | undefined;
      write(configMap(ns, 'a'), configMap(ns, 'b'), configMap(ns, 'c'));
      await run(dying, previous, async (intended) => {
        recorded = intended;
      });
      const created = [await get(ns, 'b'), await get(ns, 'c')].filter((o) => o !== undefined);
      expect(created).toHaveLength(1);

      // Before the next run, b and c leave Git.
      write(configMap(ns, 'a'));
      const next = await run(cluster, recorded ?? previous);
      expect(next.outcome.kind).toBe('applied');
      expect([await get(ns, 'b'), await get(ns, 'c')]).toEqual([undefined, undefined]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes nothing when the render is empty', async () => {
    const ns = await uniqueNamespace('sync-empty');
    const s = syncer('empty');
    await s.run({ 'a.yaml': yamlOf(configMap(ns, 'a')) });
    const outcome = await s.run({ 'README.md': '# nothing here' });
    expect(outcome).toMatchObject({ kind: 'prune-refused', message: expect.stringContaining('the render is empty') });
    expect(await get(ns, 'a')).toBeDefined();
  });

  it('deletes nothing when the prune exceeds maxPrunePercent', async () => {
    const ns = await uniqueNamespace('sync-share');
    const s = syncer('share', { maxPruneShare: 0.2 });
    const all = Array.from({ length: 5 }, (_, i) => configMap(ns, `cm-${i}`));
    await s.run({ 'a.yaml': yamlOf(...all) });
    const outcome = await s.run({ 'a.yaml': yamlOf(...all.slice(0, 3)) });
    expect(outcome).toMatchObject({
      kind: 'prune-refused',
      message: expect.stringContaining('delete 2 of 5 objects (40%)'),
    });
    expect(await get(ns, 'cm-4')).toBeDefined();
    // One of five is within the limit.
    expect(actionFor(await s.run({ 'a.yaml': yamlOf(...all.slice(0, 4)) }), `ConfigMap/${ns}/cm-4`)).toBe('deleted');
  });

  it('prunes one object of a small Sync under the default 20 %, which no share of 3 or 4 objects reaches', async () => {
    const ns = await uniqueNamespace('sync-small');
    const s = syncer('small', { maxPruneShare: 0.2 });
    const all = Array.from({ length: 3 }, (_, i) => configMap(ns, `cm-${i}`));
    await s.run({ 'a.yaml': yamlOf(...all) });
    expect(actionFor(await s.run({ 'a.yaml': yamlOf(...all.slice(0, 2)) }), `ConfigMap/${ns}/cm-2`)).toBe('deleted');
    expect(await get(ns, 'cm-2')).toBeUndefined();
  });

  it("takes over kubectl's fields on the first apply, so a field Git lacks disappears", async () => {
    const ns = await uniqueNamespace('sync-takeover');
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-'));
    writeFileSync(join(dir, 'cm.yaml'), stringify(configMap(ns, 'legacy', { keep: '1', drop: '2' })));
    execFileSync('kubectl', ['apply', '-f', join(dir, 'cm.yaml')], { stdio: 'pipe' });
    const s = syncer('takeover');
    const outcome = await s.run({ 'cm.yaml': yamlOf(configMap(ns, 'legacy', { keep: '1' })) });
    expect(actionFor(outcome, `ConfigMap/${ns}/legacy`)).toBe('configured');
    const live = await get(ns, 'legacy');
    expect(live?.data).toEqual({ keep: '1' });
    expect(live?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
  });
});
