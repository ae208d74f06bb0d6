import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOrder } from '../core/resources/apply-order';
import { resourceKey } from '../core/resources/declaration';
import { parseDeclarations } from '../core/resources/parse-declarations';
import { reconcilersByKind } from '../core/resources/reconciler';
import { loadReconcilerModule } from '../engine/resources/reconciler-modules';
import { exampleConfig } from '../infra/fixtures/deployment-config';
import { projectRoot } from '../infra/tidemark-function';

// The annotated declarations in examples/config-repo/resources/ are read by the reconcilers the annotated
// tidemark.config.yaml maps their folders to, so the examples cannot drift from what the schemas accept.

describe('the example declarations', () => {
  for (const folder of exampleConfig().resources) {
    it(`${folder.path} parses with the ${folder.reconciler} reconciler, in an order its dependencies allow`, async () => {
      const reconcilers = reconcilersByKind(await loadReconcilerModule(folder.reconciler, projectRoot));
      const dir = join(projectRoot, 'examples/config-repo', folder.path);
      const files = readdirSync(dir).map((f) => ({
        path: `${folder.path}/${f}`,
        text: readFileSync(join(dir, f), 'utf8'),
      }));
      const parsed = parseDeclarations(files, reconcilers, folder.name);
      expect(parsed.kind, JSON.stringify(parsed)).toBe('parsed');
      if (parsed.kind !== 'parsed') return;
      expect(parsed.declarations.length).toBeGreaterThan(0);
      const order = applyOrder(
        parsed.declarations.map((d) => ({
          key: resourceKey(d.kind, d.identity),
          dependsOn: reconcilers.get(d.kind)!.dependsOn?.(d.spec) ?? [],
        })),
      );
      expect(order.kind).toBe('ordered');
      if (folder.reconciler === 'postgres' && order.kind === 'ordered') {
        expect(order.stages.map((s) => s.map((i) => i.key))).toEqual([
          ['PostgresRole/shop_owner'],
          ['PostgresDatabase/shop'],
          ['PostgresRole/shop_app'],
        ]);
      }
    });
  }
});
