import { describe, expect, it } from 'vitest';
import { deploymentEvent, MalformedDeploymentEvent, parseDeploymentEvent } from './deployment-event';
import { event, R1 } from './notify.fixtures';

const base = {
  at: '2026-11-25T10:00:00.000Z',
  cluster: 'prod',
  sync: { namespace: 'shop', name: 'web' },
  revision: R1,
  kind: 'failed' as const,
  reason: 'FetchFailed',
};

describe('deployment events', () => {
  it('never carry a credential, whatever the agent was given to send', () => {
    const e = deploymentEvent({
      ...base,
      repo: 'https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/config.git?token=t',
      subject: 'rotate token=hunter2',
      message: [
        "fatal: unable to access 'https://deploy:s3cr3t-Passw0rd@git.example.com/config.git/': 403",
        'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0aWRlbWFyayJ9.c2lnbmF0dXJl',
        'password=hunter2 api_key: "abc123def"',
        'slack https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX and AKIAIOSFODNN7EXAMPLE',
        'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
      ].join('\n'),
      health: { current: 0, inProgress: 0, failed: 1, notReady: ['Secret/shop/db: password=letmein'] },
    });
    const json = JSON.stringify(e);
    for (const secret of [
      'ghs_abcdefghijklmnopqrstuvwxyz0123456789',
      's3cr3t-Passw0rd',
      'eyJhbGciOiJSUzI1NiJ9',
      'hunter2',
      'abc123def',
      'XXXXXXXXXXXXXXXX',
      'AKIAIOSFODNN7EXAMPLE',
      'github_pat_11ABCDEFG',
      'letmein',
      'token=t',
    ]) {
      expect(json, secret).not.toContain(secret);
    }
    expect(e.repo).toBe('https://github.com/acme/config.git');
    expect(e.message).toContain("unable to access 'https://***@git.example.com/config.git/': 403");
  });

  it('are redacted again when the notifier parses them, so an old or hostile agent cannot leak one either', () => {
    const raw = { ...event('failed', 0), message: 'https://user:pw123456@git.example.com failed' };
    expect(parseDeploymentEvent(JSON.stringify(raw)).message).toBe('https://***@git.example.com failed');
  });

  it('cut long text to what the channels take', () => {
    const e = deploymentEvent({ ...base, repo: 'https://github.com/acme/config.git', message: 'x'.repeat(10_000) });
    expect(e.message).toHaveLength(2000);
    expect(e.message.endsWith('…')).toBe(true);
  });

  it('get the same id when built again from the same observation, so a retried send can be recognised', () => {
    const input = { ...base, repo: 'https://github.com/acme/config.git' };
    expect(deploymentEvent(input).id).toBe(deploymentEvent(input).id);
    expect(deploymentEvent({ ...input, at: '2026-11-25T10:00:01.000Z' }).id).not.toBe(deploymentEvent(input).id);
  });

  it('are refused with the field and the fix when malformed, which sends them to the dead-letter queue', () => {
    expect(() => parseDeploymentEvent('{not json')).toThrow(MalformedDeploymentEvent);
    const bad = { ...event('deployed', 0), kind: 'exploded' };
    expect(() => parseDeploymentEvent(JSON.stringify(bad))).toThrow(/^not a deployment event: kind: .*README/);
    const noCluster = { ...event('deployed', 0), cluster: 'Not A Cluster' };
    expect(() => parseDeploymentEvent(JSON.stringify(noCluster))).toThrow('cluster: is not a cluster name');
  });

  it('keep fields a newer agent adds out of the way instead of refusing the event', () => {
    const newer = { ...event('deployed', 0), rolloutSeconds: 12 };
    expect(parseDeploymentEvent(JSON.stringify(newer))).not.toHaveProperty('rolloutSeconds');
  });
});
