import { describe, expect, it } from 'vitest';
import { reportWith } from './alerts.fixtures';
import { renderSlackMessage } from './slack-message';

describe('renderSlackMessage', () => {
  it('has a header, one section per drifted object with its fields, and a context line', () => {
    const message = renderSlackMessage(
      { kind: 'appeared', cluster: 'prod', report: reportWith(2) },
      'https://example.com/r',
    );
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(JSON.stringify(message.blocks[1])).toContain('spec.replicas 3 → 5 by kubectl-scale (scale) at 10:42 UTC');
    expect(JSON.stringify(message.blocks[3])).toContain(
      'Cluster *prod* · revision `0123456` · <https://example.com/r|details>',
    );
    expect(message.text).toContain('Drift in prod: 2 findings differ from Git');
    expect(message.text).toContain('Deployment/shop/web-0');
  });

  it('stays within 50 blocks and ends with "and N more"', () => {
    const message = renderSlackMessage({ kind: 'appeared', cluster: 'prod', report: reportWith(120) });
    expect(message.blocks).toHaveLength(50);
    expect(JSON.stringify(message.blocks[48])).toContain('…and 73 more');
    expect(message.blocks.at(-1)?.type).toBe('context');
  });

  it('fits exactly 48 objects without "and N more"', () => {
    const message = renderSlackMessage({ kind: 'changed', cluster: 'prod', report: reportWith(48) });
    expect(message.blocks).toHaveLength(50);
    expect(JSON.stringify(message.blocks)).not.toContain('more');
  });

  it('keeps every section under 3000 characters and escapes mrkdwn control characters', () => {
    const report = reportWith(1);
    const finding = report.findings[0]!;
    if (finding.kind !== 'modified') throw new Error('fixture');
    finding.fields = Array.from({ length: 10 }, (_, i) => ({
      path: `metadata.annotations.a${i}`,
      pointer: `/metadata/annotations/a${i}`,
      desired: '<b>&'.repeat(100),
      live: 'x'.repeat(500),
    }));
    const section = renderSlackMessage({ kind: 'appeared', cluster: 'prod', report }).blocks[1];
    const text = section?.type === 'section' ? section.text.text : '';
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toContain('&lt;b&gt;&amp;');
  });

  it('renders scan-failing with the error and recovered without sections', () => {
    const failing = renderSlackMessage({
      kind: 'scan-failing',
      cluster: 'prod',
      message: 'Unauthorized',
      since: 'then',
    });
    expect(failing.text).toBe('Drift scan failing for prod: Unauthorized');
    expect(failing.blocks).toHaveLength(3);
    const recovered = renderSlackMessage({ kind: 'recovered', cluster: 'prod', failingSince: 'then' });
    expect(recovered.blocks.map((b) => b.type)).toEqual(['header', 'context']);
  });
});
