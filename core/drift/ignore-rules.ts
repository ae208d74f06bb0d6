import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/config-error';
import { pointerSegments } from './field-path';
import type { FieldWriter } from './managed-fields';

/**
 * `.tidemark/drift.yaml` in the config repo: fields that something other than Git is meant to own, so a difference in
 * them is not drift.
 *
 * ```yaml
 * ignore:
 *   - fieldsOwnedBy: kube-controller-manager   # whatever this manager last wrote (the HPA writes replicas as it)
 *     subresource: scale                       # …through the scale subresource only
 *   - paths: [/spec/replicas]                  # RFC 6901 JSON Pointers; `*` matches one segment, a prefix its subtree
 *     target: { group: apps, kind: Deployment, namespace: shop, name: web, labels: { tier: front } }
 * ```
 * A rule applies to the objects its `target` selects (every object when omitted) and ignores a drifted field when every
 * condition it states holds: the path is under one of `paths`, and/or the field's last writer is in `fieldsOwnedBy`.
 */
const Target = z
  .object({
    /** API group; `""` or `core` for the core group. */
    group: z.string().optional(),
    kind: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const pointer = z
  .string()
  .refine((p) => p === '' || p.startsWith('/'), "is not a JSON Pointer. Write it as '/spec/replicas'");

const Rule = z
  .object({
    paths: z.array(pointer).min(1).optional(),
    fieldsOwnedBy: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .transform((v) => (Array.isArray(v) ? v : [v]))
      .optional(),
    subresource: z.string().min(1).optional(),
    target: Target.optional(),
  })
  .strict()
  .refine((r) => r.paths !== undefined || r.fieldsOwnedBy !== undefined, {
    message: "names no fields. Give it 'paths', 'fieldsOwnedBy' or both",
  });

const DriftSettingsSchema = z.object({ ignore: z.array(Rule).default([]) }).strict();

export type IgnoreRule = z.infer<typeof Rule>;
export type IgnoreTarget = z.infer<typeof Target>;

/** The object a drifted field belongs to, as far as a rule's `target` looks at it. */
export interface RuleSubject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  labels: Record<string, string>;
}

/** Parses `.tidemark/drift.yaml`; a missing file is no rules. Throws a {@link ConfigError} naming the bad key. */
export function parseIgnoreRules(text: string | undefined, source = '.tidemark/drift.yaml'): IgnoreRule[] {
  if (text === undefined || text.trim() === '') return [];
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      `is not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`,
      'Fix the YAML syntax',
    );
  }
  const parsed = DriftSettingsSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data.ignore;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.reduce<string>(
    (k, p) => (typeof p === 'number' ? `${k}[${p}]` : k ? `${k}.${String(p)}` : String(p)),
    '',
  );
  const [problem, ...fix] = issue.message.split('. ');
  throw new ConfigError(
    `${source}: ${key || '(top level)'}`,
    problem ?? issue.message,
    fix.join('. ') || 'See the ignore-rule format in core/drift/ignore-rules.ts',
    { cause: parsed.error },
  );
}

/** True when some rule says this drifted field is owned by something other than Git. */
export function isIgnored(
  rules: readonly IgnoreRule[],
  subject: RuleSubject,
  pointer: string,
  writer: FieldWriter | undefined,
): boolean {
  return rules.some((rule) => ruleIgnores(rule, subject, pointerSegments(pointer), writer));
}

function ruleIgnores(
  rule: IgnoreRule,
  subject: RuleSubject,
  field: string[],
  writer: FieldWriter | undefined,
): boolean {
  if (rule.target && !targets(rule.target, subject)) return false;
  if (rule.paths && !rule.paths.some((p) => under(pointerSegments(p), field))) return false;
  if (rule.fieldsOwnedBy) {
    if (!writer || !rule.fieldsOwnedBy.includes(writer.manager)) return false;
    if (rule.subresource !== undefined && writer.subresource !== rule.subresource) return false;
  }
  return true;
}

function targets(target: IgnoreTarget, subject: RuleSubject): boolean {
  const group = subject.apiVersion.includes('/') ? subject.apiVersion.split('/')[0]! : '';
  if (target.group !== undefined && (target.group === 'core' ? '' : target.group) !== group) return false;
  if (target.kind !== undefined && target.kind !== subject.kind) return false;
  if (target.namespace !== undefined && target.namespace !== subject.namespace) return false;
  if (target.name !== undefined && target.name !== subject.name) return false;
  return Object.entries(target.labels ?? {}).every(([k, v]) => subject.labels[k] === v);
}

/** `rule` is a prefix of `field`, segment by segment, with `*` matching any one segment. */
function under(rule: string[], field: string[]): boolean {
  return rule.length <= field.length && rule.every((segment, i) => segment === '*' || segment === field[i]);
}
