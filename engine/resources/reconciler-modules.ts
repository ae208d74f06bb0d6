import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Reconciler, ReconcilerModule } from '../../core/resources/reconciler';
import { type BuiltInReconciler, builtInReconcilers } from '../../core/resources/resources-settings';

/** The module of each built-in reconciler, loaded only when a folder names it. */
const builtIn: Record<BuiltInReconciler, () => Promise<{ default: ReconcilerModule }>> = {
  route53: () => import('../../reconcilers/route53'),
  postgres: () => import('../../reconcilers/postgres'),
};

/**
 * The reconcilers a folder's `reconciler` names: a built-in one, or the default export of a file of your own,
 * relative to the config file (the CLI, the benchmark and `cdk synth` load it here; a Lambda is bundled with it).
 *
 * @throws Error naming the file when it does not default-export reconcilers made with defineReconciler.
 */
export async function loadReconcilerModule(reconciler: string, configDir: string): Promise<ReconcilerModule> {
  if ((builtInReconcilers as readonly string[]).includes(reconciler)) {
    return (await builtIn[reconciler as BuiltInReconciler]()).default;
  }
  const path = resolve(configDir, reconciler);
  const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  const exported = module.default;
  const list = Array.isArray(exported) ? exported : [exported];
  if (exported === undefined || !list.every(isReconciler)) {
    throw new Error(
      `${reconciler} does not export reconcilers. Make its default export defineReconciler({ … }), or a list of them`,
    );
  }
  return exported as ReconcilerModule;
}

function isReconciler(value: unknown): value is Reconciler {
  const r = value as Partial<Reconciler> | null;
  return typeof r?.kind === 'string' && typeof r.observe === 'function' && typeof r.apply === 'function';
}
