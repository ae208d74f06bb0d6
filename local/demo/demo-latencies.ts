import type { LatencyPair } from '../../core/timeline/timeline';

/** The latencies `tidemark demo` reports at the end, between the steps it records. */
export const demoLatencies: readonly LatencyPair[] = [
  { name: 'push → commit', from: 'image-pushed', to: 'commit-made' },
  { name: 'commit → applied', from: 'commit-made', to: 'rollout-applied' },
  { name: 'push → applied', from: 'image-pushed', to: 'rollout-applied' },
  { name: 'push → Ready (healthy)', from: 'image-pushed', to: 'rollout-ready' },
  { name: 'hand change → drift alert', from: 'hand-change', to: 'drift-alerted' },
  { name: 'self-heal on → healed', from: 'self-heal-enabled', to: 'drift-healed' },
  { name: 'healed → resolved alert', from: 'drift-healed', to: 'drift-resolved' },
  { name: 'commit → deployed message', from: 'commit-made', to: 'deployed-notified' },
  { name: 'broken commit → alert', from: 'broken-commit', to: 'failure-alerted' },
  { name: 'fix → recovered message', from: 'fix-commit', to: 'recovered-notified' },
  { name: 'fix → deployed message', from: 'fix-commit', to: 'fix-deployed' },
];
