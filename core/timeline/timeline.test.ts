import { describe, expect, it } from 'vitest';
import { Timeline } from './timeline';

const pairs = [
  { name: 'push → commit', from: 'image-pushed', to: 'commit-made' },
  { name: 'commit → applied', from: 'commit-made', to: 'rollout-applied' },
  { name: 'push → applied', from: 'image-pushed', to: 'rollout-applied' },
  { name: 'push → Ready (healthy)', from: 'image-pushed', to: 'rollout-ready' },
];

describe('a timeline', () => {
  it('measures latencies between the steps that happened and leaves out the rest', () => {
    const t = new Timeline(pairs);
    t.record('image-pushed', 'web:1.1.0', new Date('2026-11-25T10:00:00.000Z'));
    t.record('commit-made', 'abc123', new Date('2026-11-25T10:00:00.420Z'));
    t.record('rollout-applied', 'web → 1.1.0', new Date('2026-11-25T10:00:02.000Z'));
    expect(t.latencies()).toEqual([
      { name: 'push → commit', from: 'image-pushed', to: 'commit-made', milliseconds: 420 },
      { name: 'commit → applied', from: 'commit-made', to: 'rollout-applied', milliseconds: 1580 },
      { name: 'push → applied', from: 'image-pushed', to: 'rollout-applied', milliseconds: 2000 },
    ]);
    expect(t.render()).toContain('push → applied               2.00 s');
    expect(JSON.parse(JSON.stringify(t)).events).toHaveLength(3);
  });
});
