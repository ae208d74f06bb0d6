import { describe, expect, it } from 'vitest';
import { lastWriter, ownsPath } from './managed-fields';

describe('ownsPath (fieldsV1 tries)', () => {
  const fields = {
    'f:metadata': { 'f:finalizers': { 'v:"example.com/keep"': {} } },
    'f:spec': {
      'f:selector': {},
      'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:targetPort': {} } },
      'f:args': { 'i:1': {} },
    },
  };

  it('follows map keys, keyed elements (with server-defaulted key fields) and set values', () => {
    expect(ownsPath(fields, ['spec', 'ports', { index: 0, element: { port: 80 } }, 'targetPort'])).toBe(true);
    expect(ownsPath(fields, ['spec', 'ports', { index: 0, element: { port: 81 } }, 'targetPort'])).toBe(false);
    expect(ownsPath(fields, ['metadata', 'finalizers', { index: 3, element: 'example.com/keep' }])).toBe(true);
    expect(ownsPath(fields, ['spec', 'args', { index: 1, element: 'x' }])).toBe(true);
    expect(ownsPath(fields, ['spec', 'args', { index: 0, element: 'x' }])).toBe(false);
  });

  it('treats an owned atomic field as owning everything inside it', () => {
    expect(ownsPath(fields, ['spec', 'selector', 'matchLabels', 'app'])).toBe(true);
  });
});

describe('lastWriter', () => {
  it('picks the latest of the managers sharing a field', () => {
    const live = {
      metadata: {
        managedFields: [
          {
            manager: 'tidemark',
            operation: 'Apply' as const,
            time: '2026-11-25T10:00:00Z',
            fieldsV1: { 'f:data': { 'f:a': {} } },
          },
          {
            manager: 'helm',
            operation: 'Update' as const,
            time: '2026-11-25T11:00:00Z',
            fieldsV1: { 'f:data': { 'f:a': {} } },
          },
        ],
      },
    };
    expect(lastWriter(live, ['data', 'a'])).toEqual({
      manager: 'helm',
      operation: 'Update',
      time: '2026-11-25T11:00:00Z',
    });
    expect(lastWriter(live, ['data', 'b'])).toBeUndefined();
  });
});
