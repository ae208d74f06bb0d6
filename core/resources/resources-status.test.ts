import { describe, expect, it } from 'vitest';
import type { ResourcesOutcome } from './resources-outcome';
import { initialStatus, needsCatchUp, statusAfterReconcile } from './resources-status';

const applied: ResourcesOutcome = {
  kind: 'applied',
  revision: 'abc',
  results: [
    { key: 'DnsRecordSet/api.example.com A', action: 'created', changes: [] },
    { key: 'DnsRecordSet/www.example.com CNAME', action: 'unchanged', changes: [] },
  ],
  inventory: { entries: [{ key: 'DnsRecordSet/api.example.com A', name: 'api', spec: {}, revision: 'abc' }] },
};
const t0 = new Date('2026-12-01T10:00:00Z');
const t1 = new Date('2026-12-01T10:15:00Z');

describe('statusAfterReconcile', () => {
  it('records the applied revision, each result and the inventory, and says so in Ready', () => {
    const status = statusAfterReconcile(initialStatus('dns', 'resources/dns'), applied, t0);
    expect(status).toMatchObject({
      lastAppliedRevision: 'abc',
      lastAttemptedRevision: 'abc',
      objects: applied.results,
      inventory: applied.inventory,
      conditions: [{ type: 'Ready', status: 'True', message: 'Applied revision abc: 1 created, 1 unchanged' }],
      history: [{ outcome: 'applied', changes: { created: 1, unchanged: 1 } }],
    });
  });

  it('keeps the inventory and the last applied revision through a broken declaration, and stalls', () => {
    const before = statusAfterReconcile(initialStatus('dns', 'resources/dns'), applied, t0);
    const invalid: ResourcesOutcome = {
      kind: 'invalid',
      revision: 'def',
      problems: [{ source: { file: 'resources/dns/a.yaml', line: 4 }, key: 'spec.ttl', message: 'Too small' }],
    };
    const status = statusAfterReconcile(before, invalid, t1);
    expect(status.inventory).toEqual(applied.inventory);
    expect(status.lastAppliedRevision).toBe('abc');
    expect(status.lastAttemptedRevision).toBe('def');
    expect(status.conditions).toMatchObject([
      {
        type: 'Ready',
        status: 'False',
        reason: 'InvalidDeclaration',
        message: expect.stringContaining('resources/dns/a.yaml:4: spec.ttl: Too small'),
      },
      { type: 'Stalled', status: 'True', message: expect.stringContaining('nothing applied or deleted') },
    ]);
    expect(needsCatchUp(status, 'def')).toBe(false);
    expect(needsCatchUp(status, 'ghi')).toBe(true);
  });

  it('keeps the transition time of a condition whose status did not change', () => {
    const first = statusAfterReconcile(initialStatus('dns', 'resources/dns'), applied, t0);
    const second = statusAfterReconcile(first, { ...applied, revision: 'xyz' }, t1);
    expect(second.conditions[0]?.lastTransitionTime).toBe(t0.toISOString());
  });

  it('asks the scheduled run to reconcile again after a failure another try can fix', () => {
    const failed: ResourcesOutcome = {
      kind: 'failed',
      revision: 'abc',
      results: [{ key: 'PostgresRole/app', action: 'failed', changes: [], message: 'cannot connect' }],
      inventory: { entries: [] },
      message: '1 of 1 objects did not reconcile',
    };
    const conflict: ResourcesOutcome = {
      ...failed,
      results: [{ key: 'PostgresRole/app', action: 'conflict', changes: [] }],
    };
    expect(needsCatchUp(statusAfterReconcile(initialStatus('db', 'db'), failed, t0), 'abc')).toBe(true);
    expect(needsCatchUp(statusAfterReconcile(initialStatus('db', 'db'), conflict, t0), 'abc')).toBe(false);
  });
});
