import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueNamespace } from '../../test/support/cluster';
import { openScanner, type ScannerHarness } from '../../test/support/drift-scanner';
import { localEnv } from '../../test/support/local-env';

// Slack answered too late: the webhook timed out after sending, so Slack may have posted the alert (here it did: the
// local receiver records the post and answers after 12 s, past the webhook's 10 s). Such an alert counts as delivered:
// a scan that sent it again would post a second copy, and every later scan another, while the drift lasts.

describe('a Slack post that timed out after it was sent', () => {
  let scanner: ScannerHarness;

  beforeAll(async () => {
    const ns = await uniqueNamespace('maybe');
    // Never applied: the ConfigMap is missing from the cluster, which is drift from the first scan on.
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: ${ns} }\ndata: { a: b }\n`;
    scanner = await openScanner({ files: { 'clusters/x/cm.yaml': manifest }, path: 'clusters/x', prefix: 'maybe' });
  });

  it('is not sent again by the next scans: one post in the channel', async () => {
    await fetch(`${localEnv().slack.controlUrl}/fail`, {
      method: 'POST',
      body: JSON.stringify({ delayMs: 12_000, path: scanner.slackPath }),
    });
    const first = await scanner.run();
    expect(first.alerts).toEqual(['appeared']);
    expect(first.deliveryErrors).toEqual([
      expect.stringMatching(/^slack \(maybe delivered, not sent again\): Slack did not answer within 10000 ms/),
    ]);
    expect(await scanner.slackPosts()).toHaveLength(1);

    expect((await scanner.run()).alerts).toEqual([]);
    expect((await scanner.run()).alerts).toEqual([]);
    expect(await scanner.slackPosts()).toHaveLength(1);
    // SNS took it the first time, and did not get it again either.
    expect((await scanner.snsMessages()).map((m) => m.MessageAttributes?.kind?.Value)).toEqual(['drift']);
  });
});
