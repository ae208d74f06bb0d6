import { describe, expect, it } from 'vitest';
import { failureCause } from './failure-cause';
import { at, event, syncs } from './notify.fixtures';
import type { Notification, StormMember } from './notify-state';
import { renderDeploymentSlack } from './slack-deployment-message';
import { renderDeploymentSns } from './sns-deployment-message';

const member = (e = event('failed', 0)): StormMember => ({
  key: `prod/${e.sync.namespace}/${e.sync.name}`,
  event: e,
  since: e.at,
  channels: ['sns'],
  announced: false,
});
const failing = (members: StormMember[]): Notification => ({
  kind: 'failing',
  cause: failureCause(members[0]!.event),
  members,
});
const text = (n: Notification) => JSON.stringify(renderDeploymentSlack(n).blocks);

describe('deployment messages', () => {
  it('name the file and line of a broken commit, on Slack and SNS', () => {
    const n = failing([member()]);
    const slack = renderDeploymentSlack(n);
    expect(slack.text).toBe('❌ prod: shop/web failed (RenderFailed)');
    expect(text(n)).toContain('In clusters/prod/web.yaml, line 7.');
    expect(text(n)).toContain('Revision 2222222 \\"Update web to 1.2.0\\"');
    const sns = renderDeploymentSns(n);
    expect(sns.subject).toBe('Tidemark: prod: shop/web failed (RenderFailed)');
    expect(sns.message).toContain('In clusters/prod/web.yaml, line 7.');
    expect(sns.message).toContain('    clusters/prod/web.yaml (document 0): is not valid YAML');
    expect(sns.attributes).toEqual({ cluster: 'prod', kind: 'failed', severity: 'error', source: 'deployment' });
  });

  it('name the cause and the count of a storm, and list the Syncs', () => {
    const members = syncs(25).map((sync) =>
      member(
        event('failed', 0, {
          sync,
          repo: `http://127.0.0.1:9418/${sync.name}.git`,
          reason: 'FetchFailed',
          revision: undefined,
          location: undefined,
          message: `Fetching http://127.0.0.1:9418/${sync.name}.git (main) failed: connect ECONNREFUSED 127.0.0.1:9418`,
        }),
      ),
    );
    const slack = renderDeploymentSlack(failing(members));
    expect(slack.text).toBe(
      '❌ prod: 25 Syncs failing: cannot fetch from 127.0.0.1:9418: connect ECONNREFUSED 127.0.0.1:9418',
    );
    expect(JSON.stringify(slack.blocks)).toContain('• shop/web-19\\n• …and 5 more');
    expect(renderDeploymentSns(failing(members)).subject.length).toBeLessThan(100);
  });

  it('say how long a recovered Sync was failing, and which are still failing after a partial recovery', () => {
    const recovered = (name: string) => ({
      key: name,
      event: event('failed', 0, { sync: { namespace: 'shop', name } }),
      failedSince: at(0),
      recoveredAt: at(180),
      channels: [],
    });
    const one: Notification = {
      kind: 'recovered',
      cause: failureCause(event('failed', 0)),
      members: [recovered('web')],
      stillFailing: [],
    };
    expect(renderDeploymentSlack(one).text).toBe('✅ prod: shop/web recovered');
    expect(text(one)).toContain('Healthy again after 3 min of RenderFailed');
    const partial: Notification = { ...one, members: [recovered('a'), recovered('b')], stillFailing: [member()] };
    expect(renderDeploymentSlack(partial).text).toMatch(/^✅ prod: 2 of 3 Syncs recovered from: RenderFailed/);
    expect(text(partial)).toContain('1 still failing:');
    expect(renderDeploymentSns(partial).attributes.kind).toBe('recovered');
  });

  it('show a deploy with its revision, changes, health and images', () => {
    const n: Notification = {
      kind: 'event',
      event: event('deployed', 0, {
        images: [{ name: 'web:1.2.0', digest: `sha256:${'a'.repeat(64)}` }],
        changes: { created: 1, configured: 2, deleted: 0 },
      }),
    };
    expect(renderDeploymentSlack(n).text).toBe('🚀 prod: shop/web deployed 1111111: Update web to 1.2.0');
    expect(text(n)).toContain(
      'Revision 1111111 \\"Update web to 1.2.0\\": 1 created, 2 configured. 3/3 objects healthy.',
    );
    expect(text(n)).toContain('web:1.2.0 @ sha256:aaaaaaaaaaaa…');
    expect(renderDeploymentSns(n).attributes.severity).toBe('info');
  });

  it('escape what comes from Git, so a commit subject cannot ping the channel or forge a link', () => {
    const n: Notification = {
      kind: 'event',
      event: event('deployed', 0, { subject: '<!channel> see <https://evil.example|docs> & ```' }),
    };
    const slack = renderDeploymentSlack(n);
    // Mentions and links are parsed in mrkdwn only: the fallback text and the sections; the header is plain text.
    const mrkdwn = JSON.stringify([slack.text, ...slack.blocks.slice(1)]);
    expect(mrkdwn).not.toContain('<!channel>');
    expect(mrkdwn).not.toContain('<https://evil.example|docs>');
    expect(mrkdwn).toContain('&lt;!channel&gt;');
    expect(slack.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const code = renderDeploymentSlack(failing([member(event('failed', 0, { message: 'a ``` b' }))])).blocks[1];
    expect(JSON.stringify(code)).not.toMatch(/```.*```.*```/);
  });

  it('keep SNS subjects to one ASCII line under 100 characters', () => {
    const n: Notification = {
      kind: 'event',
      event: event('deployed', 0, { subject: `ünïcode\nline ${'x'.repeat(200)}` }),
    };
    const { subject } = renderDeploymentSns(n);
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('say who changed a healed object, and that it keeps happening', () => {
    const n: Notification = { kind: 'event', event: event('healed', 0), healCount: 4 };
    expect(renderDeploymentSlack(n).text).toBe('🩹 prod: shop/web healed Deployment/shop/web');
    expect(text(n)).toContain('was changed by kubectl-scale outside Git');
    expect(text(n)).toContain('reverted 4 times');
  });
});
