import { describe, expect, it } from 'vitest';
import { applyOrder } from './apply-order';

describe('applyOrder', () => {
  it('puts an object after what it depends on, and ignores dependencies outside the folder', () => {
    const order = applyOrder([
      { key: 'PostgresRole/app', dependsOn: ['PostgresDatabase/shop', 'PostgresRole/readers'] },
      { key: 'PostgresDatabase/shop', dependsOn: ['PostgresRole/owner-not-declared'] },
      { key: 'PostgresRole/readers', dependsOn: [] },
    ]);
    expect(order.kind === 'ordered' && order.stages.map((s) => s.map((i) => i.key))).toEqual([
      ['PostgresDatabase/shop', 'PostgresRole/readers'],
      ['PostgresRole/app'],
    ]);
  });

  it('names the keys of a cycle', () => {
    expect(
      applyOrder([
        { key: 'a', dependsOn: ['b'] },
        { key: 'b', dependsOn: ['a'] },
        { key: 'c', dependsOn: [] },
      ]),
    ).toEqual({ kind: 'cycle', keys: ['a', 'b'] });
  });
});
