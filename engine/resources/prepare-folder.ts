import { applyOrder } from '../../core/resources/apply-order';
import { type Declaration, resourceKey } from '../../core/resources/declaration';
import type { OwnershipPolicy } from '../../core/resources/ownership';
import {
  type DeclarationFile,
  type DeclarationProblem,
  parseDeclarations,
} from '../../core/resources/parse-declarations';
import type { ReconcileContext, ReconcileLog, Reconciler, SecretReader } from '../../core/resources/reconciler';
import type { ResourceFolderConfig } from '../../core/resources/resources-settings';
import { folderSettings } from './folder-settings';
import { type Run, startRun } from './run-context';
import type { RetryDeps } from './with-retries';

/** A declaration in its apply stage: its key and what it waits for. */
export interface Staged {
  d: Declaration;
  key: string;
  dependsOn: readonly string[];
}

/** A folder ready to run: its declarations in dependency stages, and the run every reconciler call shares. */
export interface PreparedFolder {
  kind: 'ready';
  declarations: Declaration[];
  stages: Staged[][];
  run: Run<undefined>;
  /** The run's context with the settings of one kind's reconciler. */
  contextFor(kind: string): ReconcileContext<unknown>;
  reconcilerOf(kind: string): Reconciler;
  policy: OwnershipPolicy;
}

/**
 * What a reconcile and a drift scan both do first: check the folder's settings against its reconcilers (a ConfigError
 * when they are wrong), read the declarations, put them in dependency stages, and start the run. A broken declaration
 * or a cycle of dependencies is `invalid`, with where; nothing has been observed then.
 */
export function prepareFolder(
  folder: Pick<ResourceFolderConfig, 'name' | 'path' | 'ownerId' | 'adoptOwnerIds' | 'settings'>,
  reconcilers: ReadonlyMap<string, Reconciler>,
  files: readonly DeclarationFile[],
  deps: { secrets: SecretReader; log: ReconcileLog; retry?: RetryDeps },
): PreparedFolder | { kind: 'invalid'; problems: DeclarationProblem[] } {
  const settings = folderSettings(folder, reconcilers);
  const parsed = parseDeclarations(files, reconcilers, `resources '${folder.name}' (${folder.path})`);
  if (parsed.kind === 'invalid') return parsed;
  const reconcilerOf = (kind: string) => reconcilers.get(kind)!;
  const order = applyOrder(
    parsed.declarations.map((d) => ({
      d,
      key: resourceKey(d.kind, d.identity),
      dependsOn: reconcilerOf(d.kind).dependsOn?.(d.spec) ?? [],
    })),
  );
  if (order.kind === 'cycle') {
    const first = parsed.declarations.find((d) => order.keys.includes(resourceKey(d.kind, d.identity)))!;
    return {
      kind: 'invalid',
      problems: [
        {
          source: first.source,
          key: 'spec',
          message: `${order.keys.join(', ')} depend on each other in a cycle. Break it: one of them must not need the other`,
        },
      ],
    };
  }
  const run = startRun({ ownerId: folder.ownerId, settings: undefined, ...deps });
  return {
    kind: 'ready',
    declarations: parsed.declarations,
    stages: order.stages,
    run,
    contextFor: (kind) => ({ ...run.context, settings: settings.get(kind) }),
    reconcilerOf,
    policy: { ownerId: folder.ownerId, adoptOwnerIds: folder.adoptOwnerIds },
  };
}
