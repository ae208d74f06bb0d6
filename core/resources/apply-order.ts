/** Something to apply, with the keys of what must be applied first. */
export interface Ordered {
  key: string;
  dependsOn: readonly string[];
}

export type ApplyOrder<T> = { kind: 'ordered'; stages: T[][] } | { kind: 'cycle'; keys: string[] };

/**
 * Stages of objects to apply, each stage after the one before and in parallel within itself: an object comes after
 * everything it depends on (a role granted on a database after the database). Dependencies on keys that are not in
 * `items` are ignored, since the object exists or is someone else's concern; a cycle is reported with its keys, so
 * the message names the declarations to untangle. Deletions run the stages in reverse.
 *
 * @example
 * applyOrder([{ key: 'PostgresRole/app', dependsOn: ['PostgresDatabase/app'] }, { key: 'PostgresDatabase/app', dependsOn: [] }])
 * // { kind: 'ordered', stages: [[database], [role]] }
 */
export function applyOrder<T extends Ordered>(items: readonly T[]): ApplyOrder<T> {
  const keys = new Set(items.map((i) => i.key));
  const pending = new Map(items.map((i) => [i.key, i]));
  const done = new Set<string>();
  const stages: T[][] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()].filter((i) =>
      i.dependsOn.every((d) => d === i.key || !keys.has(d) || done.has(d)),
    );
    if (ready.length === 0) return { kind: 'cycle', keys: [...pending.keys()].sort() };
    for (const i of ready) {
      pending.delete(i.key);
      done.add(i.key);
    }
    stages.push(ready);
  }
  return { kind: 'ordered', stages };
}
