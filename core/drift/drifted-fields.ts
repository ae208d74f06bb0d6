import type { KubeObject } from '../sync/kube-object';
import { diffObjects } from './diff-objects';
import type { DriftedField } from './drift-report';
import { displayPath, jsonPointer } from './field-path';
import { type IgnoreRule, isIgnored, type RuleSubject } from './ignore-rules';
import { lastWriter } from './managed-fields';
import { maskIfSecret } from './mask-secret';

/**
 * The drifted fields of one object: where `live` differs from `afterApply` (the server-side apply dry-run of Git's
 * manifest), each with the manager that last wrote the live value. Secret values are masked here, before anything is
 * logged, cached or sent.
 */
export function driftedFields(afterApply: KubeObject, live: KubeObject): DriftedField[] {
  const kind = live.kind ?? afterApply.kind ?? '';
  return diffObjects(afterApply, live).map((d) => {
    const writer = d.live === undefined ? undefined : lastWriter(live, d.path);
    return {
      path: displayPath(d.path),
      pointer: jsonPointer(d.path),
      desired: maskIfSecret(kind, d.path, d.desired),
      live: maskIfSecret(kind, d.path, d.live),
      ...(writer ? { writer } : {}),
    };
  });
}

/** Splits drifted fields into those that count and the number an ignore rule leaves out. */
export function withoutIgnored(
  fields: readonly DriftedField[],
  subject: RuleSubject,
  rules: readonly IgnoreRule[],
): { fields: DriftedField[]; ignored: number } {
  const kept = fields.filter((f) => !isIgnored(rules, subject, f.pointer, f.writer));
  return { fields: kept, ignored: fields.length - kept.length };
}
