import { describe, expect, it } from 'vitest';
import { revisionTimeline } from './revision-timeline';

const sha = 'a1'.repeat(20);
const old = 'b2'.repeat(20);

describe('the timeline of one revision', () => {
  it('orders push, applied, healthy and notified, and measures the latencies between them', () => {
    const { timeline, unknown, detours } = revisionTimeline({
      revision: sha,
      pushes: [{ image: 'web:1.2.0', at: new Date('2026-12-01T10:00:00.000Z') }],
      attempts: [
        { revision: sha, outcome: 'applied', time: '2026-12-01T10:00:05.000Z', message: 'Applied' },
        { revision: sha, outcome: 'render-failed', time: '2026-12-01T10:00:03.000Z', message: 'bad YAML' },
        { revision: old, outcome: 'applied', time: '2026-12-01T09:00:00.000Z', message: 'Applied' },
      ],
      transitions: [
        { kind: 'deployed', at: '2026-12-01T10:00:09.000Z', revision: sha, reason: 'R', message: 'm', announced: true },
        {
          kind: 'failed',
          at: '2026-12-01T10:00:03.500Z',
          revision: sha,
          reason: 'RenderFailed',
          message: 'x',
          announced: true,
        },
      ],
      notifierUpdatedAt: new Date('2026-12-01T10:00:09.300Z'),
    });
    expect(timeline.events.map((e) => e.step)).toEqual(['image-pushed', 'applied', 'healthy', 'notified']);
    expect(timeline.latencies()).toEqual([
      { name: 'push → applied', from: 'image-pushed', to: 'applied', milliseconds: 5000 },
      { name: 'applied → healthy', from: 'applied', to: 'healthy', milliseconds: 4000 },
      { name: 'healthy → notified', from: 'healthy', to: 'notified', milliseconds: 300 },
      { name: 'push → healthy', from: 'image-pushed', to: 'healthy', milliseconds: 9000 },
    ]);
    expect(unknown.map((u) => u.step)).toEqual(['commit-made', 'webhook-received']);
    expect(detours.map((d) => d.reason)).toEqual(['RenderFailed']);
  });

  it('says why a step has no time instead of inventing one', () => {
    const { timeline, unknown } = revisionTimeline({
      revision: sha,
      pushes: [],
      attempts: [{ revision: sha, outcome: 'render-failed', time: '2026-12-01T10:00:03.000Z', message: 'bad' }],
      transitions: [],
    });
    expect(timeline.events).toEqual([]);
    expect(unknown.map((u) => u.step)).toEqual([
      'image-pushed',
      'commit-made',
      'webhook-received',
      'applied',
      'healthy',
      'notified',
    ]);
  });
});
