import { describe, expect, it } from 'vitest';
import { parseSync } from '../sync/sync';
import { syncFindings } from './sync-findings';

const head = {
  revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
  committedAt: new Date('2026-11-25T10:00:00Z'),
};
const object = (status: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'tidemark.dev/v1alpha1',
  kind: 'Sync',
  metadata: { namespace: 'tidemark-system', name: 'dev' },
  spec,
  status,
});
const sync = (status: Record<string, unknown>, spec?: Record<string, unknown>) => parseSync(object(status, spec));

describe('syncFindings', () => {
  it('reports nothing for a Sync at the head', () => {
    const s = sync({ lastAppliedRevision: '0123456789abcdef0123456789abcdef01234567' });
    expect(syncFindings([s], head, new Date('2026-11-25T12:00:00Z'), 10)).toEqual([]);
  });

  it('gives an apply in progress the threshold before calling it lag', () => {
    const s = sync({ lastAppliedRevision: 'main@sha1:ffffffffffffffffffffffffffffffffffffffff' });
    expect(syncFindings([s], head, new Date('2026-11-25T10:09:00Z'), 10)).toEqual([]);
    expect(syncFindings([s], head, new Date('2026-11-25T10:25:00Z'), 10)).toEqual([
      {
        kind: 'sync-lagging',
        sync: { namespace: 'tidemark-system', name: 'dev' },
        lastAppliedRevision: 'main@sha1:ffffffffffffffffffffffffffffffffffffffff',
        headRevision: head.revision,
        lagMinutes: 25,
      },
    ]);
  });

  it('reports a Stalled Sync with its reason, and skips suspended ones', () => {
    const stalled = object({
      lastAppliedRevision: head.revision,
      conditions: [{ type: 'Stalled', status: 'True', reason: 'PruneRefused', message: 'would delete 80%' }],
    });
    expect(syncFindings([parseSync(stalled)], head, new Date('2026-11-25T10:01:00Z'), 10)).toEqual([
      {
        kind: 'sync-stalled',
        sync: { namespace: 'tidemark-system', name: 'dev' },
        reason: 'PruneRefused',
        message: 'would delete 80%',
      },
    ]);
    expect(syncFindings([parseSync({ ...stalled, spec: { suspend: true } })], head, new Date(), 10)).toEqual([]);
  });
});
