import { SecretsManagerReader } from '../../adapters/resources/secrets-manager-reader';
import type { DeclarationFile } from '../../core/resources/parse-declarations';
import { type ReconcilerModule, reconcilersByKind } from '../../core/resources/reconciler';
import { emptyInventory, type ResourceInventory } from '../../core/resources/resource-inventory';
import type { ResourceFolderConfig } from '../../core/resources/resources-settings';
import { type ReconcileFolderResult, reconcileFolder } from '../../engine/resources/reconcile-folder';
import { silentLog } from '../../engine/resources/run-context';
import { type ScanFolderResult, scanFolder } from '../../engine/resources/scan-folder';

/**
 * A folder to reconcile in a test, against the real provider (moto, the local PostgreSQL server): the engine runs as
 * the Lambda runs it, the inventory carried from one run to the next as the State table would carry it.
 */
export interface TestFolder {
  folder: ResourceFolderConfig;
  inventory: ResourceInventory;
  reconcile(files: Record<string, string>, options?: { dryRun?: boolean }): Promise<ReconcileFolderResult>;
  scan(files: Record<string, string>): Promise<ScanFolderResult>;
}

/** Retries with no waiting: tests check what is retried, not how long the backoff sleeps. */
export const noWait = { sleep: async () => {}, random: () => 0 };

export function testFolder(
  module: ReconcilerModule,
  folder: Partial<ResourceFolderConfig> & Pick<ResourceFolderConfig, 'name' | 'ownerId'>,
): TestFolder {
  const config: ResourceFolderConfig = {
    path: `resources/${folder.name}`,
    reconciler: 'test',
    adoptOwnerIds: [],
    prune: true,
    maxPrunePercent: 50,
    selfHeal: false,
    settings: {},
    permissions: [],
    ...folder,
  };
  const reconcilers = reconcilersByKind(module);
  const files = (map: Record<string, string>): DeclarationFile[] =>
    Object.entries(map).map(([name, text]) => ({ path: `${config.path}/${name}`, text }));
  const state: TestFolder = {
    folder: config,
    inventory: emptyInventory,
    async reconcile(map, options = {}) {
      const result = await reconcileFolder(
        {
          folder: state.folder,
          reconcilers,
          files: files(map),
          revision: 'test',
          previous: state.inventory,
          dryRun: options.dryRun ?? false,
        },
        { secrets: new SecretsManagerReader(), log: silentLog, retry: noWait },
      );
      if ('inventory' in result.outcome && !options.dryRun) state.inventory = result.outcome.inventory;
      return result;
    },
    scan(map) {
      return scanFolder(
        {
          folder: state.folder,
          reconcilers,
          files: files(map),
          revision: 'test',
          inventory: state.inventory,
          now: () => new Date(),
        },
        { secrets: new SecretsManagerReader(), log: silentLog, retry: noWait },
      );
    },
  };
  return state;
}

/** The action each object got, by key: `{ 'DnsRecordSet/api.example.com A': 'created' }`. */
export function actions(result: ReconcileFolderResult): Record<string, string> {
  const outcome = result.outcome;
  return 'results' in outcome ? Object.fromEntries(outcome.results.map((r) => [r.key, r.action])) : {};
}
