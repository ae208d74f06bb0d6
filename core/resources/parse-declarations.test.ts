import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseDeclarations } from './parse-declarations';
import { defineReconciler, reconcilersByKind } from './reconciler';

const queue = defineReconciler({
  kind: 'TestQueue',
  schema: z.strictObject({ name: z.string(), retentionDays: z.number().int().min(1).default(4) }),
  identify: (spec) => spec.name,
  observe: async () => undefined,
  plan: () => [],
  apply: async () => {},
  remove: async () => 'removed' as const,
});
const kinds = reconcilersByKind([queue]);
const doc = (name: string, spec: string) =>
  `apiVersion: tidemark.dev/v1alpha1\nkind: TestQueue\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

describe('parseDeclarations', () => {
  it('reads every document of every file, with its spec parsed, its identity and where it is written', () => {
    const parsed = parseDeclarations(
      [
        {
          path: 'q/a.yaml',
          text: `# comment only\n---\n${doc('a', '  name: orders\n')}---\n${doc('b', '  name: refunds\n  retentionDays: 7\n')}`,
        },
      ],
      kinds,
      'resources q',
    );
    expect(parsed).toEqual({
      kind: 'parsed',
      declarations: [
        {
          kind: 'TestQueue',
          name: 'a',
          annotations: {},
          spec: { name: 'orders', retentionDays: 4 },
          identity: 'orders',
          source: { file: 'q/a.yaml', line: 3 },
        },
        {
          kind: 'TestQueue',
          name: 'b',
          annotations: {},
          spec: { name: 'refunds', retentionDays: 7 },
          identity: 'refunds',
          source: { file: 'q/a.yaml', line: 10 },
        },
      ],
    });
  });

  it('collects every problem with its file, line and key, and declares nothing', () => {
    const parsed = parseDeclarations(
      [
        { path: 'q/bad.yaml', text: doc('bad', '  name: x\n  retentionDays: 0\n') },
        { path: 'q/kind.yaml', text: 'apiVersion: tidemark.dev/v1alpha1\nkind: Topic\nmetadata: {name: t}\n' },
        { path: 'q/k8s.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' },
        { path: 'q/yaml.yaml', text: 'a: [1,\n' },
        { path: 'q/typo.yaml', text: doc('typo', '  name: y\n  retentionDay: 3\n') },
        { path: 'q/twice.yaml', text: doc('twice', '  name: x\n') },
      ],
      kinds,
      'resources q',
    );
    expect(parsed.kind).toBe('invalid');
    const problems = parsed.kind === 'invalid' ? parsed.problems : [];
    expect(problems.map((p) => `${p.source.file}:${p.source.line} ${p.key}`)).toEqual([
      'q/bad.yaml:7 spec.retentionDays',
      'q/k8s.yaml:1 apiVersion',
      'q/kind.yaml:2 kind',
      'q/typo.yaml:7 spec.retentionDay',
      'q/yaml.yaml:2 (document)',
    ]);
    expect(problems[2]?.message).toBe("is 'Topic', which resources q does not reconcile. Use one of: TestQueue");
    expect(problems[3]?.message).toBe('is not a field of TestQueue. Check the spelling');
  });

  it('refuses two declarations of one object, naming both places', () => {
    const parsed = parseDeclarations(
      [
        { path: 'q/one.yaml', text: doc('one', '  name: same\n') },
        { path: 'q/two.yaml', text: doc('two', '  name: same\n') },
      ],
      kinds,
      'resources q',
    );
    expect(parsed).toMatchObject({
      kind: 'invalid',
      problems: [
        {
          source: { file: 'q/two.yaml' },
          message: 'declares TestQueue/same, which q/one.yaml:1 declares already. Keep one declaration per object',
        },
      ],
    });
  });
});
