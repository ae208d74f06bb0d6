import { z } from 'zod';
import { ConfigError } from '../../core/config/config-error';
import type { Reconciler } from '../../core/resources/reconciler';

const noSettings = z.object({}).strict();

/**
 * Each reconciler's view of a folder's `settings`, validated by its `settings` schema (a reconciler without one takes
 * none). Checked where the config is read, the handler's cold start, `cdk synth` and the CLI, so a wrong zone id is
 * a config error naming the key, not a failure of every object at 3 a.m.
 *
 * @throws ConfigError naming `resources[<name>].settings.<key>`.
 */
export function folderSettings(
  folder: { name: string; settings: Record<string, unknown> },
  reconcilers: ReadonlyMap<string, Reconciler>,
): ReadonlyMap<string, unknown> {
  const parsed = new Map<string, unknown>();
  for (const [kind, reconciler] of reconcilers) {
    const schema = reconciler.settings ?? noSettings;
    const result = schema.safeParse(folder.settings);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const key = ['settings', ...issue.path.map(String)].join('.');
      throw new ConfigError(
        `resources[${folder.name}].${key}`,
        issue.message,
        `The ${kind} reconciler reads these settings; fix them in tidemark.config.yaml`,
        { cause: result.error },
      );
    }
    parsed.set(kind, result.data);
  }
  return parsed;
}
