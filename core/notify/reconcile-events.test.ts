import { describe, expect, it } from 'vitest';
import { ChangeSet } from '../sync/change-set';
import type { SyncOutcome } from '../sync/sync-outcome';
import { R1, R2 } from './notify.fixtures';
import { reconcileEvents } from './reconcile-events';
import { advance } from './sync-transitions';

const context = {
  cluster: 'dev',
  sync: { namespace: 'tidemark-system', name: 'dev' },
  repo: 'https://tidemark:s3cret@git.example.com/config.git',
  subject: 'Fix the indentation',
  images: [{ name: 'web:1.1.0', digest: null }],
  at: new Date('2026-11-25T10:00:00Z'),
};

describe('reconcileEvents', () => {
  it('names the file and line of a broken commit, and the revision and subject', () => {
    const outcome: SyncOutcome = {
      kind: 'render-failed',
      revision: R2,
      message:
        'clusters/dev/web.yaml (document 0): is not valid YAML: bad indentation at line 12, column 3. Fix the YAML syntax',
    };
    const { transitions } = advance({ kind: 'healthy', revision: R1, deployed: R1 }, outcome, context.at);
    const [failed] = reconcileEvents(outcome, transitions, context);
    expect(failed).toMatchObject({
      kind: 'failed',
      reason: 'RenderFailed',
      revision: R2,
      subject: 'Fix the indentation',
      location: { file: 'clusters/dev/web.yaml', line: 12 },
      repo: 'https://git.example.com/config.git',
    });
  });

  it('says recovered, then deployed with the changes, images and health, a millisecond apart', () => {
    const changeSet = new ChangeSet();
    changeSet.add({ group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' }, 'configured');
    const outcome: SyncOutcome = {
      kind: 'applied',
      revision: R2,
      changeSet,
      inventory: { entries: [] },
      health: { current: 2, inProgress: 0, failed: 0, notReady: [] },
    };
    const before = {
      kind: 'failing' as const,
      failure: 'failed' as const,
      reason: 'RenderFailed' as const,
      revision: R2,
      since: '2026-11-25T09:58:00.000Z',
      deployed: R1,
    };
    const events = reconcileEvents(outcome, advance(before, outcome, context.at).transitions, context);
    expect(events.map((e) => [e.kind, e.at])).toEqual([
      ['recovered', '2026-11-25T10:00:00.000Z'],
      ['deployed', '2026-11-25T10:00:00.001Z'],
    ]);
    expect(events[0]).toMatchObject({ previous: { kind: 'failed', reason: 'RenderFailed', revision: R2 } });
    expect(events[1]).toMatchObject({
      changes: { created: 0, configured: 1, deleted: 0 },
      images: [{ name: 'web:1.1.0', digest: null }],
      health: { current: 2, inProgress: 0, failed: 0 },
    });
  });
});
